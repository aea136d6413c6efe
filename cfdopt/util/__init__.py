"""Shared utilities: errors, the compilation cache and the smoothing primitives."""
