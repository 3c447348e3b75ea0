"""Long-lag tasks for lesson 07: the adding problem (to be written)."""
