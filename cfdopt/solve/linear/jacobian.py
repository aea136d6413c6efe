"""Exact sparse Jacobian ``dR/dU`` by graph-coloured forward-mode JVPs.

The residual of cell ``(i, j)`` depends on the cells of the union of its
terms' stencils (:mod:`cfdopt.flow.stencil`; for Euler with MUSCL the cross
``(i +- 1, j), (i +- 2, j), (i, j +- 1), (i, j +- 2)``, and for the first two
rows of the wake the cells ``(ni - 1 - i, 0..1)`` across the cut; RANS adds
the diagonal neighbours its face gradients read). Columns (cells) whose
stencils never share a row get the same colour (greedy distance-2 colouring
of the column-intersection graph), so ``nvar * n_colours`` products of one
``jax.linearize``, evaluated ``SEEDS_PER_BATCH`` at a time, give every nonzero
exactly: no finite differences.

With the point-vortex far field the residual also depends on the lift,
``R(U) = R_c(U, CL(U))``, so ``dR/dU = dR_c/dU + (dR_c/dCL)(dCL/dU)^T``: a
sparse matrix plus a rank-one term, which :class:`Factorization` solves by
Sherman-Morrison.

References:
    Curtis, Powell & Reid (1974), On the estimation of sparse Jacobian
    matrices, IMA J. Appl. Math. 13(1), 117-119.
    Gebremedhin, Manne & Pothen (2005), What color is your Jacobian? Graph
    coloring for computing derivatives, SIAM Review 47(4), 629-705.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from cfdopt.flow.forces import force_coefficients
from cfdopt.flow.residual import Numerics, residual_at_cl
from cfdopt.flow.stencil import Stencil, convective_stencil
from cfdopt.util.jitcache import cached_jit


SEEDS_PER_BATCH = 20
"""Seeds (coloured tangents) evaluated together by the Jacobian assembly. On TMR's 225 x 65 grid (rans-sa, 24
colours, 120 seeds; this 2-core machine, idle, four assemblies in a fresh process): all 120 at once peak at
2213 MiB resident and take 2.4-2.8 s; 40 at a time 1587 MiB, 2.3-2.5 s; 20 at a time 1332 MiB, 1.7-2.0 s;
10: 1219 MiB, 2.0-2.3 s; 5: 1153 MiB, 1.8-2.2 s (339 MiB before the assembly)."""


def cell_pattern(ni: int, nj: int, n_cut: int, stencil: Stencil | int = 2) -> sp.csr_matrix:
    """``(ni nj, ni nj)`` boolean cell-to-cell dependency pattern (rows: residual cells, cols: state cells).

    ``stencil``: the residual's :class:`cfdopt.flow.stencil.Stencil` (``Numerics.stencil``), or an
    int, the order of the convective scheme alone (2: the MUSCL cross of radius 2; 1: nearest
    neighbours, and only the first wake row across the cut).
    """
    if isinstance(stencil, int):
        stencil = convective_stencil(stencil)
    i, j = np.meshgrid(np.arange(ni), np.arange(nj), indexing="ij")
    i, j = i.ravel(), j.ravel()
    rows, cols = [], []
    for di, dj in sorted(stencil.offsets):
        ok = (i + di >= 0) & (i + di < ni) & (j + dj >= 0) & (j + dj < nj)
        rows.append((i * nj + j)[ok])
        cols.append(((i + di) * nj + j + dj)[ok])
    reach = stencil.cut_reach
    near_cut = (i < n_cut + reach) | (i >= ni - n_cut - reach) if n_cut > 0 else np.zeros_like(i, dtype=bool)
    cut = near_cut & (j < stencil.cut_rows)
    for d in range(-reach, reach + 1):
        across = ni - 1 - i + d
        ok = cut & (across >= 0) & (across < ni)
        for k in range(min(stencil.cut_rows, nj)):
            rows.append((i * nj + j)[ok])
            cols.append((across * nj + k)[ok])
    r, c = np.concatenate(rows), np.concatenate(cols)
    pat = sp.csr_matrix((np.ones(r.size, dtype=bool), (r, c)), shape=(ni * nj, ni * nj))
    pat.sum_duplicates()
    return pat


def greedy_colouring(pattern: sp.csr_matrix) -> np.ndarray:
    """Colour columns so that no two columns of one colour share a row (distance-2 colouring)."""
    p = pattern.astype(np.int32)
    graph = (p.T @ p).tocsr()
    indptr, indices = graph.indptr.tolist(), graph.indices.tolist()
    colour = [-1] * graph.shape[0]
    for col in range(graph.shape[0]):  # plain Python: numpy's per-call overhead dominated on 4-80 neighbours
        taken = {colour[k] for k in indices[indptr[col]:indptr[col + 1]]}
        c = 0
        while c in taken:
            c += 1
        colour[col] = c
    return np.asarray(colour, dtype=np.int64)


def _block_csr(pattern: sp.csr_matrix, colour: np.ndarray, nvar: int):
    """CSR structure of the ``nvar x nvar`` block expansion of a cell pattern, and where each value lies
    among the coloured JVPs.

    Row ``r nvar + a`` holds, for each cell ``c`` of pattern row ``r`` in order, columns
    ``c nvar + b`` (``b = 0..nvar-1``): already sorted, so the positions follow from the pattern's
    ``indptr`` without a sort. The value ``dR[r, a] / dU[c, b]`` is entry ``r nvar + a`` of the JVP
    with seed ``colour[c] nvar + b``.

    Returns:
        ``(indptr, indices, gather)``: int32 CSR arrays, and int64 positions into the flattened
        ``(n_colours nvar, n)`` JVP results.
    """
    pattern = pattern.tocsr()
    pattern.sort_indices()
    p = pattern.indptr.astype(np.int64)
    m = np.diff(p)
    r = np.repeat(np.arange(m.size), m)
    c = pattern.indices.astype(np.int64)
    o = np.arange(c.size) - p[r]
    a = np.arange(nvar)[None, :, None]
    b = np.arange(nvar)[None, None, :]
    pos = (nvar * nvar * p[r])[:, None, None] + a * nvar * m[r][:, None, None] + (nvar * o)[:, None, None] + b
    n = m.size * nvar
    indices = np.empty(c.size * nvar * nvar, dtype=np.int32)
    gather = np.empty(c.size * nvar * nvar, dtype=np.int64)
    indices[pos] = np.broadcast_to(c[:, None, None] * nvar + b, pos.shape)
    gather[pos] = (colour[c][:, None, None] * nvar + b) * n + r[:, None, None] * nvar + a
    starts = (nvar * nvar * p[:-1])[:, None] + np.arange(nvar)[None, :] * nvar * m[:, None]
    indptr = np.append(starts.ravel(), c.size * nvar * nvar).astype(np.int32)
    return indptr, indices, gather


def _splu(a: sp.csc_matrix, perm=None, pivot_fallback: bool = True):
    """SuperLU with diagonal pivots, checked on a random right-hand side.

    With ``perm`` (a fill-reducing order of the unknowns, e.g. nested dissection
    from :mod:`cfdopt.solve.linear.ordering`) the symmetrically permuted ``A[perm][:, perm]``
    is factored in its natural order; otherwise SuperLU's minimum degree on
    ``A + A^T`` (the stencil is structurally symmetric: about 40% less fill than
    COLAMD). The check passes at a relative residual of 1e-8 in float64, or 0.1 in
    float32: a single-precision LU serves as a preconditioner, and on the
    transonic NACA 0012 leaves 1e-4 to 1e-2 (growing with the CFL number),
    while a failed pivot leaves O(1) or worse. A failed pivot or check falls back to COLAMD with partial
    pivoting, or, with ``pivot_fallback=False``, returns ``(None, None)``. Returns ``(lu, perm or None)``.
    """
    b = np.random.default_rng(0).normal(size=a.shape[0]).astype(a.dtype)
    tol = 0.1 if a.dtype == np.float32 else 1e-8

    def ok(m, lu):
        return np.linalg.norm(m @ lu.solve(b) - b) <= tol * np.linalg.norm(b)

    try:
        if perm is not None:
            ap = a[perm][:, perm].tocsc()
            lu = spla.splu(ap, permc_spec="NATURAL", diag_pivot_thresh=0.0, options=dict(SymmetricMode=True))
            if ok(ap, lu):
                return lu, perm
        else:
            lu = spla.splu(a, permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0, options=dict(SymmetricMode=True))
            if ok(a, lu):
                return lu, None
    except RuntimeError:
        pass
    if not pivot_fallback:
        return None, None
    return spla.splu(a, permc_spec="COLAMD"), None


class Factorization:
    """LU of ``A = J + diag(d)`` (+ rank one ``u v^T`` for the point vortex); ``solve(b, trans="N"|"T")``.

    ``cell_order`` (optional, ``(ncells,)``): fill-reducing order of the cells, applied
    to the 4x4 blocks as a symmetric permutation before SuperLU.
    ``precision="single"`` factors a float32 copy (about half the time and memory
    of float64): an approximate inverse with
    1e-4 to 1e-2 relative error, for use as a preconditioner only; solves
    still take and return float64. A float32 LU in ``cell_order`` that fails its check is made in float64 in
    the same order instead (``precision`` then reads ``"double"``), not with partial pivoting: on TMR's
    225 x 65 grid (rans-sa) at CFL 1e4 and 1e10 the float32 check leaves 0.40 and 0.49, COLAMD with partial
    pivoting then takes 22-28 s, while float64 in nested-dissection order leaves 4e-10 and 4e-9 in 7-12 s
    (the same fill, 60M; this 2-core machine under load, ``scripts/bench_rans.py``).
    """

    def __init__(self, matrix: sp.spmatrix, rank_one=None, cell_order=None, precision: str = "double"):
        if precision not in ("double", "single"):
            raise ValueError(f"precision must be 'double' or 'single', got {precision!r}")
        self.precision = precision
        self._dtype = np.float32 if precision == "single" else np.float64
        perm = None
        if cell_order is not None:
            nvar = matrix.shape[0] // len(cell_order)
            perm = (np.asarray(cell_order)[:, None] * nvar + np.arange(nvar)[None, :]).ravel()
        self.lu, self._perm = _splu(sp.csc_matrix(matrix, dtype=self._dtype), perm,
                                    pivot_fallback=perm is None or precision == "double")
        if self.lu is None:
            self.precision, self._dtype = "double", np.float64
            self.lu, self._perm = _splu(sp.csc_matrix(matrix, dtype=np.float64), perm)
        self.rank_one = rank_one
        self._ainv_u = self._atinv_v = None
        if rank_one is not None:
            self._ainv_u = self._lu_solve(rank_one[0], "N")

    def _lu_solve(self, b, trans):
        b = np.asarray(b, dtype=self._dtype)
        if self._perm is None:
            return self.lu.solve(b, trans=trans).astype(np.float64)
        # A[p][:, p] = P A P^T, so A^{-1} b and A^{-T} b both read x[p] = LU^{-1|-T} b[p].
        x = np.empty(b.shape, dtype=np.float64)
        x[self._perm] = self.lu.solve(np.ascontiguousarray(b[self._perm]), trans=trans)
        return x

    def solve(self, b: np.ndarray, trans: str = "N") -> np.ndarray:
        """Solve ``A x = b`` (``trans="N"``) or ``A^T x = b`` (``"T"``), ``b`` a flat float64 vector."""
        x = self._lu_solve(np.asarray(b, dtype=float), trans)
        if self.rank_one is None:
            return x
        u, v = self.rank_one
        if trans == "N":
            return x - self._ainv_u * (v @ x) / (1.0 + v @ self._ainv_u)
        if self._atinv_v is None:  # only the adjoint needs it: computed on first use
            self._atinv_v = self._lu_solve(v, "T")
        return x - self._atinv_v * (u @ x) / (1.0 + u @ self._atinv_v)


@dataclass
class SparseJacobian:
    """``dR/dU = matrix + u v^T`` (``rank_one = (u, v)`` or ``None``), flat C-order unknowns."""

    matrix: sp.csr_matrix
    rank_one: tuple | None = None

    def matvec(self, x):
        y = self.matrix @ x
        if self.rank_one is not None:
            y = y + self.rank_one[0] * (self.rank_one[1] @ x)
        return y

    def rmatvec(self, x):
        y = self.matrix.T @ x
        if self.rank_one is not None:
            y = y + self.rank_one[1] * (self.rank_one[0] @ x)
        return y

    def factorize(self, diagonal=None, cell_order=None, precision: str = "double") -> Factorization:
        """LU of ``dR/dU + diag(diagonal)`` (``diagonal`` flat, or ``None``; ``cell_order``,
        ``precision``: see :class:`Factorization`)."""
        a = self.matrix if diagonal is None else self.matrix + sp.diags(diagonal)
        return Factorization(a, self.rank_one, cell_order=cell_order, precision=precision)


class JacobianAssembler:
    """Builds the exact sparse Jacobian for one grid shape and numerics (compiled once), ``seeds_per_batch``
    coloured tangents at a time (None: all at once).

    Use :func:`jacobian_assembler` (cached) rather than the constructor.
    """

    def __init__(self, ni: int, nj: int, n_cut: int, numerics: Numerics, seeds_per_batch: int | None = None):
        nvar = numerics.nvar
        self.shape = (ni, nj, nvar)
        pattern = cell_pattern(ni, nj, n_cut, numerics.stencil)
        self.colour = greedy_colouring(pattern)
        self.n_colours = int(self.colour.max()) + 1
        n = ni * nj * nvar
        self.indptr, self.indices, gather = _block_csr(pattern, self.colour, nvar)
        self.n = n
        self._gather = jnp.asarray(gather)
        self._colour = jnp.asarray(self.colour.reshape(ni, nj), dtype=jnp.int32)

        n_colours = self.n_colours

        def values(U, grid, flow, colour, gather):
            # with the point vortex, R(U) = R_c(U, CL(U)): the coloured JVPs hold CL fixed, and the
            # rank-one term u v^T = (dR_c/dCL)(dCL/dU)^T comes from the same program
            if numerics.point_vortex:
                cl, dcl = jax.value_and_grad(lambda u: force_coefficients(u, grid, flow, numerics.model)["cl"])(U)
            else:
                cl = 0.0

            _, jvp = jax.linearize(lambda u: residual_at_cl(u, grid, flow, cl, numerics), U)

            # seed (colour c, variable k): 1 in variable k of every cell of colour c
            onehot = (colour[None] == jnp.arange(n_colours)[:, None, None]).astype(U.dtype)
            seeds = (onehot[:, None, :, :, None] * jnp.eye(nvar, dtype=U.dtype)[None, :, None, None, :])
            seeds = seeds.reshape(n_colours * nvar, *U.shape)
            if seeds_per_batch is None or seeds_per_batch >= seeds.shape[0]:
                products = jax.vmap(jvp)(seeds)
            else:
                products = jax.lax.map(jvp, seeds, batch_size=seeds_per_batch)
            data = products.reshape(-1)[gather]
            if not numerics.point_vortex:
                return data, None
            _, dr = jax.jvp(lambda c: residual_at_cl(U, grid, flow, c, numerics), (cl,), (jnp.ones_like(cl),))
            return data, (dr.reshape(-1), dcl.reshape(-1))

        self._values = cached_jit(values, f"jacobian_values/{numerics!r}/{n_colours}/{seeds_per_batch}")

    def warm(self, U, grid, flow) -> None:
        """Load the compiled values program for these argument shapes without running it."""
        self._values.warm(U, grid, flow, self._colour, self._gather)

    def __call__(self, U, grid, flow) -> SparseJacobian:
        """The exact ``dR/dU`` at ``U``."""
        data, low = self._values(U, grid, flow, self._colour, self._gather)
        mat = sp.csr_matrix((np.asarray(data), self.indices, self.indptr), shape=(self.n, self.n))
        if low is not None:
            low = (np.asarray(low[0]), np.asarray(low[1]))
        return SparseJacobian(mat, low)


@functools.lru_cache(maxsize=8)
def jacobian_assembler(ni: int, nj: int, n_cut: int, numerics: Numerics,
                       seeds_per_batch: int | None = SEEDS_PER_BATCH) -> JacobianAssembler:
    """Cached :class:`JacobianAssembler` per grid shape and numerics (``seeds_per_batch``: tangents evaluated
    together, None: all)."""
    return JacobianAssembler(ni, nj, n_cut, numerics, seeds_per_batch)


def residual_jacobian(U, grid, flow, numerics: Numerics = Numerics()) -> SparseJacobian:
    """Exact sparse ``dR/dU`` (see the module docstring)."""
    return jacobian_assembler(grid.ni, grid.nj, grid.n_cut, numerics)(U, grid, flow)
