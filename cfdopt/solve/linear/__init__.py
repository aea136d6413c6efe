"""The solver's linear algebra: the coloured sparse Jacobian, its factorisation and the Krylov pieces."""
