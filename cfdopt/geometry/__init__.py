"""Airfoil geometry: analytic and file sections, re-sampling, shape parametrizations, properties.

Surfaces are ``(N, 2)`` float64 arrays in Selig order (trailing edge, upper
surface, leading edge, lower surface, trailing edge), chord from x = 0 to 1.
Shape functions follow ``surface = shape(baseline, design, params)`` and are
pure JAX (jit-able, differentiable in ``design``).
"""

from cfdopt.geometry.cst import CstParams, bernstein_matrix, class_function, cst_shape, cst_surface, fit_cst
from cfdopt.geometry.datfile import read_dat
from cfdopt.geometry.hicks_henne import HicksHenne, hicks_henne, hicks_henne_bump
from cfdopt.geometry.load import VALID_SPECS, load_airfoil
from cfdopt.geometry.parametrization import PARAMETRIZATIONS, build_shape
from cfdopt.geometry.naca import naca4_camber, naca4_surface, naca4_thickness
from cfdopt.geometry.properties import area, thickness_at
from cfdopt.geometry.resample import close_trailing_edge, is_closed, resample_surface, vinokur

__all__ = [
    "CstParams",
    "HicksHenne",
    "PARAMETRIZATIONS",
    "VALID_SPECS",
    "area",
    "bernstein_matrix",
    "build_shape",
    "class_function",
    "close_trailing_edge",
    "cst_shape",
    "cst_surface",
    "fit_cst",
    "hicks_henne",
    "hicks_henne_bump",
    "is_closed",
    "load_airfoil",
    "naca4_camber",
    "naca4_surface",
    "naca4_thickness",
    "read_dat",
    "resample_surface",
    "thickness_at",
    "vinokur",
]
