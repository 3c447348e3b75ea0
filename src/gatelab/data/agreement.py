"""A generated subject-verb agreement language for lesson 06 (to be written)."""
