"""Matplotlib figures (the only package that imports matplotlib)."""
