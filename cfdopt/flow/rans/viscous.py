"""Compressible Navier-Stokes viscous fluxes on a structured grid (full stress tensor, not thin-layer).

Equations (2-D, Stokes hypothesis ``lambda = -2/3 mu``):

    tau   = mu (grad V + grad V^T - 2/3 (div V) I),
    F_v.S = (0, tau_xx S_x + tau_xy S_y, tau_xy S_x + tau_yy S_y,
             u_f (tau . S)_x + v_f (tau . S)_y + k grad(theta) . S),

with ``theta = p / rho`` and the heat flux ``q = -k grad(theta)``; the caller
passes ``k = gamma / (gamma - 1) (mu_lam / Pr + mu_t / Pr_t)``, since
``c_p T = gamma / (gamma - 1) p / rho``. Face values of ``u, v, mu, k`` are
arithmetic means of the two cells beside the face.

Sign convention: the functions return the viscous flux ``F_v . S`` with the
sign it has in ``dU/dt + div(F_c - F_v) = 0`` (Blazek ch. 2): momentum
``+tau . S``, energy ``+(tau . V) . S - q . S``. ``S`` is the area-weighted
normal of :func:`cfdopt.mesh.types.metrics` (towards increasing index), so
the value is integrated over the face. An outflow-positive residual as in
:mod:`cfdopt.flow.residual` subtracts it:
``R = sum(convective out) - sum(viscous out)``.

Gradients: a weighted least-squares (LS) gradient per cell from its four face
neighbours (weights ``1 / |dx|^2``, 2x2 normal equations solved in closed
form), exact for linear fields on any stretched or skewed grid. At a face the
two cell gradients are averaged and the component along the line joining the
centres is replaced by the difference quotient,

    g_f = g_avg + [(q_R - q_L) / |d| - g_avg . t] t,   t = d / |d|, d = x_R - x_L,

(the "edge-normal" correction of Weiss et al. 1999): the plain average of
cell gradients couples only every other cell (odd-even decoupling, a
checkerboard the scheme cannot see), while the difference quotient couples
neighbours directly and gives the compact, positive stencil of the
Laplacian. Both parts are exact for linear fields, so ``g_f`` is too.

Boundaries: the caller pads every array with one ghost layer (corners unused).
A ghost has no LS gradient, so at a boundary face ``g_avg`` is the gradient of
the real cell; the difference quotient still uses the ghost. With the ghost
centre at the mirror image of the cell centre in the wall face and
``u_ghost = -u_cell`` (no slip), the ghost holds exactly the value of any
linear field that vanishes on the wall, so the wall-face gradient (hence the
wall shear) is exact for a linear profile (Couette flow) on any wall-normal
spacing, and the face velocity, the mean of cell and ghost, is zero.

Units (:mod:`cfdopt.flow.state`): lengths in chords, velocities in ``a_inf``,
``mu`` in ``rho_inf a_inf c``, so the free-stream viscosity is
``mu_inf = M_inf / Re`` (Reynolds number on chord and ``|V_inf|``); fluxes in
``rho_inf a_inf^2 c`` per unit span, as the convective ones.

References:
    Blazek (2015), Computational Fluid Dynamics: Principles and Applications,
    3rd ed., Elsevier, ch. 2 (governing equations) and ch. 5 (gradient
    reconstruction, viscous fluxes with the edge-normal correction).
    Weiss, Maruszewski & Smith (1999), Implicit solution of preconditioned
    Navier-Stokes equations using algebraic multigrid, AIAA J. 37(1), 29-36.
    Diskin, Thomas, Nielsen, Nishikawa & White (2010), Comparison of
    node-centered and cell-centered unstructured finite-volume
    discretizations: viscous fluxes, AIAA J. 48(7), 1326-1338.
    Sutherland (1893), The viscosity of gases and molecular force, Phil. Mag.
    36(223), 507-531.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

__all__ = ["SUTHERLAND_S", "cell_gradients", "face_gradients", "sutherland", "viscous_fluxes", "diffusion_fluxes"]

SUTHERLAND_S = 110.4
"""Sutherland's constant of air in kelvin."""

# Padded-array slices of the four face neighbours of every real cell (never a corner ghost).
_NEIGHBOURS = (
    (slice(None, -2), slice(1, -1)),
    (slice(2, None), slice(1, -1)),
    (slice(1, -1), slice(None, -2)),
    (slice(1, -1), slice(2, None)),
)


def _check_padded(q, centre, si=None, sj=None, **scalars) -> None:
    """Raise ``ValueError`` unless the shapes follow the padded layout of the module docstring."""
    if q.ndim != 3 or centre.shape != q.shape[:2] + (2,) or min(q.shape[:2]) < 3:
        raise ValueError(f"need q (ni+2, nj+2, nq) and centre (ni+2, nj+2, 2) with ni, nj >= 1, "
                         f"got q {q.shape} and centre {centre.shape}")
    ni, nj = q.shape[0] - 2, q.shape[1] - 2
    expected = dict(si=(ni + 1, nj, 2), sj=(ni, nj + 1, 2), **{name: (ni + 2, nj + 2) for name in scalars})
    for name, arr in dict(si=si, sj=sj, **scalars).items():
        if arr is not None and arr.shape != expected[name]:
            raise ValueError(f"{name} must have shape {expected[name]} for ni={ni}, nj={nj}, got {arr.shape}")


def cell_gradients(q: jax.Array, centre: jax.Array) -> jax.Array:
    """Weighted least-squares gradient in every real cell.

    Minimises ``sum_n w_n (q_n - q_c - g . dx_n)^2`` over the four face
    neighbours ``n`` (ghosts included), ``w_n = 1 / |dx_n|^2``: the 2x2 normal
    equations are solved by Cramer's rule (regular whenever the four
    neighbour directions span the plane, as on any valid grid). Exact for
    fields linear in x, y.

    Args:
        q: ``(ni + 2, nj + 2, nq)`` padded cell values (corners unused).
        centre: ``(ni + 2, nj + 2, 2)`` padded cell centres (corners unused).

    Returns:
        ``(ni, nj, nq, 2)``: ``d q / d(x, y)`` in the real cells.
    """
    _check_padded(q, centre)
    xc, qc = centre[1:-1, 1:-1], q[1:-1, 1:-1]
    a11 = a12 = a22 = bx = by = 0.0
    for sl in _NEIGHBOURS:
        dx = centre[sl] - xc
        dq = q[sl] - qc
        w = 1.0 / (dx[..., 0] ** 2 + dx[..., 1] ** 2)
        wx, wy = w * dx[..., 0], w * dx[..., 1]
        a11 = a11 + wx * dx[..., 0]
        a12 = a12 + wx * dx[..., 1]
        a22 = a22 + wy * dx[..., 1]
        bx = bx + wx[..., None] * dq
        by = by + wy[..., None] * dq
    det = (a11 * a22 - a12 * a12)[..., None]
    gx = (a22[..., None] * bx - a12[..., None] * by) / det
    gy = (a11[..., None] * by - a12[..., None] * bx) / det
    return jnp.stack([gx, gy], axis=-1)


def _face_gradient(g, q, centre, axis: int) -> jax.Array:
    """Averaged and edge-corrected gradient on the faces normal to ``axis`` (0: i-faces, 1: j-faces)."""
    band = (slice(None), slice(1, -1)) if axis == 0 else (slice(1, -1), slice(None))
    qs, xs = q[band], centre[band]
    n, m = qs.shape[axis], g.shape[axis]
    lo = lambda a, k: jax.lax.slice_in_dim(a, 0, k - 1, axis=axis)  # noqa: E731
    hi = lambda a, k: jax.lax.slice_in_dim(a, 1, k, axis=axis)  # noqa: E731
    # Boundary faces: the ghost has no LS gradient; take the real cell's.
    first = jax.lax.slice_in_dim(g, 0, 1, axis=axis)
    last = jax.lax.slice_in_dim(g, m - 1, m, axis=axis)
    g_avg = jnp.concatenate([first, 0.5 * (lo(g, m) + hi(g, m)), last], axis=axis)
    d = hi(xs, n) - lo(xs, n)
    dq = hi(qs, n) - lo(qs, n)
    # [(dq/|d| - g.t)] t written with d itself: no square root, smooth in the centres.
    corr = (dq - jnp.sum(g_avg * d[..., None, :], axis=-1)) / jnp.sum(d * d, axis=-1)[..., None]
    return g_avg + corr[..., None] * d[..., None, :]


def face_gradients(q: jax.Array, centre: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Gradients on all faces: mean of the two cell LS gradients plus the edge-normal correction.

    ``g_f = g_avg + [(q_R - q_L) / |d| - g_avg . t] t`` with ``d = x_R - x_L``,
    ``t = d / |d|``. At a face between a real cell and a ghost, ``g_avg`` is
    the real cell's LS gradient (a ghost has none); the correction uses the
    ghost value and centre. Exact for linear fields. At a boundary face the
    tangential part is then the cell-centre value, O(h) off for curved
    fields, so the flux balance of the first cell layer is only O(1)
    consistent in the tangential terms; the normal part (wall shear, wall
    heat flux) keeps the compact difference quotient.

    Args:
        q: ``(ni + 2, nj + 2, nq)`` padded cell values (corners unused).
        centre: ``(ni + 2, nj + 2, 2)`` padded cell centres (corners unused).

    Returns:
        ``(gi, gj)``: ``(ni + 1, nj, nq, 2)`` on the i-faces and
        ``(ni, nj + 1, nq, 2)`` on the j-faces.
    """
    g = cell_gradients(q, centre)
    return _face_gradient(g, q, centre, 0), _face_gradient(g, q, centre, 1)


def sutherland(theta: jax.Array, t_ref_kelvin: float) -> jax.Array:
    """Sutherland's law ``mu / mu_inf = theta^1.5 (T_inf + S) / (theta T_inf + S)``, ``S = 110.4 K``.

    Args:
        theta: temperature ratio ``T / T_inf`` (in the units of
            :mod:`cfdopt.flow.state`, ``T / T_inf = gamma p / rho``), > 0.
        t_ref_kelvin: free-stream temperature ``T_inf`` in kelvin, > 0.

    Returns:
        ``mu / mu_inf``, the shape of ``theta``.
    """
    if isinstance(t_ref_kelvin, (int, float)) and not t_ref_kelvin > 0:
        raise ValueError(f"sutherland: t_ref_kelvin must be > 0 kelvin, got {t_ref_kelvin!r}")
    s = SUTHERLAND_S / t_ref_kelvin
    return theta**1.5 * (1.0 + s) / (theta + s)


def _face_mean(a, axis: int) -> jax.Array:
    """Arithmetic mean of the two cells beside each face, from a padded ``(ni+2, nj+2, ...)`` array."""
    if axis == 0:
        return 0.5 * (a[:-1, 1:-1] + a[1:, 1:-1])
    return 0.5 * (a[1:-1, :-1] + a[1:-1, 1:])


def _fill_corners(a) -> jax.Array:
    """Corners replaced by the diagonal real cell, so ``p / rho`` there can never put a NaN into a gradient."""
    return a.at[0, 0].set(a[1, 1]).at[0, -1].set(a[1, -2]).at[-1, 0].set(a[-2, 1]).at[-1, -1].set(a[-2, -2])


def _stress_flux(g, uv, mu, k, s) -> jax.Array:
    """``(0, tau . S, V . tau . S + k grad(theta) . S)`` from face gradients of ``(u, v, theta)``."""
    ux, uy, vx, vy = g[..., 0, 0], g[..., 0, 1], g[..., 1, 0], g[..., 1, 1]
    div = ux + vy
    txx = mu * (2.0 * ux - 2.0 / 3.0 * div)
    tyy = mu * (2.0 * vy - 2.0 / 3.0 * div)
    txy = mu * (uy + vx)
    sx, sy = s[..., 0], s[..., 1]
    fx = txx * sx + txy * sy
    fy = txy * sx + tyy * sy
    heat = k * (g[..., 2, 0] * sx + g[..., 2, 1] * sy)
    fe = uv[..., 0] * fx + uv[..., 1] * fy + heat
    return jnp.stack([jnp.zeros_like(fx), fx, fy, fe], axis=-1)


def viscous_fluxes(W, centre, si, sj, mu, k) -> tuple[jax.Array, jax.Array]:
    """Navier-Stokes viscous fluxes through every face (see the module docstring).

    Args:
        W: ``(ni + 2, nj + 2, 4)`` padded primitives ``(rho, u, v, p)``
            (corners unused).
        centre: ``(ni + 2, nj + 2, 2)`` padded cell centres (corners unused).
        si: ``(ni + 1, nj, 2)`` area-weighted i-face normals.
        sj: ``(ni, nj + 1, 2)`` area-weighted j-face normals.
        mu: ``(ni + 2, nj + 2)`` padded total dynamic viscosity
            (laminar + turbulent), units ``rho_inf a_inf c``.
        k: ``(ni + 2, nj + 2)`` padded heat-conduction coefficient: heat flux
            ``-k grad(p / rho)``.

    Returns:
        ``(fi, fj)``, ``(ni + 1, nj, 4)`` and ``(ni, nj + 1, 4)``: the physical
        viscous flux ``(0, tau . S, (tau . V) . S + k grad(theta) . S)`` in the
        direction of ``S``, integrated over the face. The residual subtracts it.
    """
    _check_padded(W, centre, si, sj, mu=mu, k=k)
    W = _fill_corners(W)
    prim = jnp.stack([W[..., 1], W[..., 2], W[..., 3] / W[..., 0]], axis=-1)
    gi, gj = face_gradients(prim, centre)
    fi = _stress_flux(gi, _face_mean(prim, 0), _face_mean(mu, 0), _face_mean(k, 0), si)
    fj = _stress_flux(gj, _face_mean(prim, 1), _face_mean(mu, 1), _face_mean(k, 1), sj)
    return fi, fj


def diffusion_fluxes(q, centre, si, sj, coeff) -> tuple[jax.Array, jax.Array]:
    """Diffusion flux ``coeff_f grad(q)_f . S`` of every component through every face.

    Args:
        q: ``(ni + 2, nj + 2, nq)`` padded cell values (corners unused).
        centre: ``(ni + 2, nj + 2, 2)`` padded cell centres (corners unused).
        si: ``(ni + 1, nj, 2)`` and ``sj``: ``(ni, nj + 1, 2)`` face normals.
        coeff: ``(ni + 2, nj + 2)`` padded diffusion coefficient; face value
            is the arithmetic mean of the two cells.

    Returns:
        ``(fi, fj)``, ``(ni + 1, nj, nq)`` and ``(ni, nj + 1, nq)``:
        ``+coeff grad(q) . S``, the sign of ``F_v`` (the physical transport
        ``-coeff grad q`` negated), so an outflow-positive residual subtracts
        it, as it does the viscous fluxes.
    """
    _check_padded(q, centre, si, sj, coeff=coeff)
    gi, gj = face_gradients(q, centre)

    def flux(g, c, s):
        return c[..., None] * jnp.sum(g * s[..., None, :], axis=-1)

    return flux(gi, _face_mean(coeff, 0), si), flux(gj, _face_mean(coeff, 1), sj)
