"""Steady solves of R(U, X) = 0: Newton-PTC, step control, mesh sequencing, fallbacks and results."""
