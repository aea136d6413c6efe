"""The flow model and its discretisation: model objects, variable layout, state, fluxes, boundaries, the residual
R(U, X) and the force integrals; the RANS-SA terms in :mod:`cfdopt.flow.rans`."""
