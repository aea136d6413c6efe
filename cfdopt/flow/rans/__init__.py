"""The RANS-SA terms of the residual: Navier-Stokes viscous fluxes and the Spalart-Allmaras model."""
