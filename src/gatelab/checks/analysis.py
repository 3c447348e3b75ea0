"""Checks for lesson 06, how gates learn without labels (to be written)."""
