"""Checks for lesson 07, why gates specialize (to be written)."""
