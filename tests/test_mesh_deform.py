"""Mesh deformation: exact boundary motion, autodiff against finite differences, fold detection."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import cfdopt  # noqa: F401  (float64)
from cfdopt.util.errors import MeshError
from cfdopt.mesh import check_deformation, deform, deform_checked, generate_cgrid
from mesh_fixtures import bundled_surface, tmr_naca0012_sharp


@pytest.fixture(scope="module")
def grid():
    return generate_cgrid(tmr_naca0012_sharp(96), 16, 24, wall_spacing=1e-4)


def bump_surface(wall, amplitude):
    """Analytic bump ``a sin(pi x)^3`` on the upper surface (y > 0), in CGrid wall order."""
    x, y = wall[:, 0], wall[:, 1]
    dy = amplitude * jnp.sin(jnp.pi * x) ** 3 * (y > 0)
    return wall.at[:, 1].add(dy)


def rotate_surface(wall, angle):
    """Rotate about the quarter chord by ``angle`` radians (moves the TE, hence the wake)."""
    c, s = jnp.cos(angle), jnp.sin(angle)
    rel = wall - jnp.array([0.25, 0.0])[None, :]
    return jnp.stack([0.25 + c * rel[:, 0] + s * rel[:, 1], -s * rel[:, 0] + c * rel[:, 1]], axis=-1)


def test_zero_displacement_is_identity(grid):
    moved = jax.jit(deform)(grid, grid.surface)
    np.testing.assert_array_equal(np.asarray(moved.nodes), np.asarray(grid.nodes))


@pytest.mark.parametrize("shape", ["bump", "rotate"])
def test_surface_exact_far_field_fixed(grid, shape):
    new = bump_surface(grid.surface, 0.02) if shape == "bump" else rotate_surface(grid.surface, 0.05)
    moved = check_deformation(jax.jit(deform)(grid, new))
    nodes, base = np.asarray(moved.nodes), np.asarray(grid.nodes)
    np.testing.assert_array_equal(np.asarray(moved.surface), np.asarray(new))
    np.testing.assert_array_equal(nodes[:, -1], base[:, -1])
    np.testing.assert_array_equal(nodes[[0, -1]], base[[0, -1]])
    nw, ni = grid.n_wake, grid.ni
    np.testing.assert_array_equal(nodes[: nw + 1, 0], nodes[ni - nw :, 0][::-1])
    if shape == "rotate":  # the wake follows the trailing edge
        assert np.all(np.abs(nodes[1:nw, 0, 1] - base[1:nw, 0, 1]) > 0.0)


@pytest.mark.parametrize("shape, value", [("bump", 0.01), ("rotate", 0.03)])
def test_jvp_matches_central_differences(grid, shape, value):
    make = bump_surface if shape == "bump" else rotate_surface

    def mesh(p):
        return deform(grid, make(grid.surface, p)).nodes

    _, tangent = jax.jvp(mesh, (jnp.asarray(value),), (jnp.asarray(1.0),))
    scale = float(jnp.max(jnp.abs(tangent)))
    errors = []
    for h in [1e-2, 1e-3, 1e-4, 1e-5, 1e-6]:
        fd = (mesh(value + h) - mesh(value - h)) / (2 * h)
        errors.append(float(jnp.max(jnp.abs(fd - tangent))) / scale)
    # central differences: truncation O(h^2) (zero for the bump, linear in a), roundoff ~ eps |x| / h
    # with |x| ~ 100 chords; the best step must agree to 1e-8 relative
    assert min(errors) < 1e-8, errors
    if shape == "rotate":  # second order visible while truncation dominates: 100x per decade
        assert errors[1] < errors[0] / 50


def test_jvp_through_hicks_henne(grid):
    from cfdopt.geometry import HicksHenne, hicks_henne

    params = HicksHenne.spaced(3)
    selig = grid.surface[::-1]

    def mesh(design):
        return deform(grid, hicks_henne(selig, design, params)[::-1]).nodes

    design = jnp.zeros(params.n_design)
    direction = jnp.asarray(np.random.default_rng(0).normal(size=params.n_design))
    _, tangent = jax.jvp(mesh, (design,), (direction,))
    h = 1e-4  # mesh is linear in the amplitudes: only roundoff eps * 100 / h ~ 1e-10 remains
    fd = (mesh(design + h * direction) - mesh(design - h * direction)) / (2 * h)
    assert float(jnp.max(jnp.abs(fd - tangent))) < 1e-9 * float(jnp.max(jnp.abs(tangent)))
    assert float(jnp.max(jnp.abs(tangent[:, -1]))) == 0.0


def test_folding_deformation_is_refused_with_location(grid):
    wall = np.asarray(grid.surface).copy()
    k = int(np.argmin(np.abs(wall[:, 0] - 0.5) + 10 * (wall[:, 1] < 0)))  # upper surface, mid chord
    wall[k, 0] += 0.05  # drag one wall node past its neighbours: its wall cells turn inside out
    folded = deform(grid, jnp.asarray(wall))
    with pytest.raises(MeshError, match=r"wall turns by .* at wall node"):
        deform_checked(grid, jnp.asarray(wall))  # with the baseline, the wall check refuses it first
    with pytest.raises(MeshError, match=r"deformed mesh has .* cell \(i=\d+, j=\d+\) at \(x=") as err:
        check_deformation(folded)  # without one, the fold check must still find and locate the fold
    i = int(str(err.value).split("(i=")[1].split(",")[0])
    assert abs(i - (grid.n_wake + k)) <= 1
    assert "folded by" in str(err.value)
    x = float(str(err.value).split("(x=")[1].split(",")[0])
    assert abs(x - wall[k, 0]) < 0.05  # where the fold is: the centroid of a near-zero-area cell would be far off


def test_open_trailing_edge_is_refused(grid):
    wall = np.asarray(grid.surface).copy()
    wall[0, 1] -= 1e-3
    with pytest.raises(MeshError, match="wake-cut nodes"):
        deform_checked(grid, jnp.asarray(wall))


def test_rae2822_thickening_stays_valid():
    grid = generate_cgrid(bundled_surface("rae2822", 128), 24, 48, wall_spacing=1e-6)
    wall = grid.surface
    new = wall.at[:, 1].multiply(1.3)  # 30 % thicker: a large but legal change
    check_deformation(deform(grid, new))


def test_a_surface_pushed_through_itself_is_refused(grid):
    """A dent of 0.3 chord on the upper surface of the 12% section crosses the lower surface. Near the wall the
    grid lines translate rigidly, so every cell keeps a positive area (the area check alone would pass it); the
    wall-crossing check refuses it. A dent of 0.05 (thinner, not crossed) passes."""
    from cfdopt.mesh.deform import surface_crossings
    from cfdopt.mesh.quality import check_areas

    crossed = deform(grid, bump_surface(grid.surface, -0.3))
    check_areas(crossed.nodes)
    wall = np.asarray(crossed.surface)
    pairs = surface_crossings(wall)
    assert len(pairs) >= 2  # the dent goes in through the lower surface and comes out again
    face_x = 0.5 * (wall[pairs, 0] + wall[pairs + 1, 0])
    assert np.all((face_x > 0.0) & (face_x < 1.0))
    with pytest.raises(MeshError, match=r"surface crosses itself .* face \d+ at \(x="):
        check_deformation(crossed)
    check_deformation(deform(grid, bump_surface(grid.surface, -0.05)))
    assert len(surface_crossings(np.asarray(grid.surface))) == 0
