"""Traversals: rows set one coordinate, are ordered by a known effect, and spans are right."""

from __future__ import annotations

import pytest
import torch

from latentforge.apps.coordinates import LinearCoordinates, latent_axes
from latentforge.apps.traversal import data_span, prior_span, row_effects, traversal, traverse
from latentforge.errors import ConfigError, DataError, ShapeError

# Dimension d brightens its own band of 4 pixels by WEIGHTS[d] per unit of z_d.
WEIGHTS = torch.tensor([0.02, 0.10, 0.0, 0.05])
D, BAND = 4, 4


class BandDecoder:
    """x = 0.5 + sum_d WEIGHTS[d] z_d on band d (pixels 4d .. 4d + 3), shaped (N, 1, 1, 16)."""

    def __init__(self) -> None:
        self.seen: list[torch.Tensor] = []

    def decode(self, z):
        self.seen.append(z.clone())
        bands = (z * WEIGHTS).repeat_interleave(BAND, dim=1)  # (N, D * BAND)
        return (0.5 + bands).view(-1, 1, 1, D * BAND)

    def latent_prior(self):
        scale = torch.tensor([[1.0, 0, 0, 0], [0.5, 2.0, 0, 0], [0, 0, 3.0, 0], [0, 0, 1.0, 1.0]])
        return torch.tensor([1.0, -1.0, 0.0, 2.0]), scale


def test_traverse_decodes_base_plus_offsets_along_each_direction() -> None:
    model = BandDecoder()
    base = torch.tensor([0.1, 0.2, 0.3, 0.4])
    directions = torch.tensor([[1.0, 0, 0, 0], [0, 1.0, 1.0, 0]])
    offsets = torch.tensor([[-1.0, 0.0, 2.0], [0.5, 1.0, 1.5]])
    frames = traverse(model, base, directions, offsets)
    assert frames.shape == (2, 3, 1, 1, D * BAND)
    z = model.seen[-1].view(2, 3, D)
    torch.testing.assert_close(z[1, 2], base + 1.5 * directions[1])
    torch.testing.assert_close(z[0, 0], base - directions[0])


def test_rows_are_ordered_by_the_known_effect_of_each_dimension() -> None:
    model = BandDecoder()
    base = torch.zeros(D)
    low, high = torch.full((D,), -2.0), torch.full((D,), 2.0)
    result = traversal(model, base, latent_axes(D), low, high, steps=5)
    assert result.images.shape == (D, 5, 1, 1, D * BAND)
    assert result.order == [1, 3, 0, 2]  # by |weight|: 0.10, 0.05, 0.02, 0
    # Row of dimension d: each of 4 steps moves BAND of D * BAND pixels by weight * 1.
    expected = (WEIGHTS * 4 * 1.0 * BAND / (D * BAND))[result.order]
    torch.testing.assert_close(torch.tensor(result.effects), expected, rtol=1e-5, atol=1e-7)
    torch.testing.assert_close(result.values[0], torch.linspace(-2, 2, 5))
    # Only the traversed dimension moves; the others stay at the base code.
    z = model.seen[-1].view(D, 5, D)
    for d in range(D):
        others = [j for j in range(D) if j != d]
        assert torch.all(z[d][:, others] == 0)
        torch.testing.assert_close(z[d][:, d], torch.linspace(-2, 2, 5))


def test_top_keeps_the_strongest_rows_and_grid_images_lists_them_in_order() -> None:
    result = traversal(
        BandDecoder(), torch.zeros(D), latent_axes(D), -torch.ones(D), torch.ones(D), 3, top=2
    )
    assert result.order == [1, 3]
    grid = result.grid_images()
    assert grid.shape == (6, 1, 1, D * BAND)
    torch.testing.assert_close(grid[3:], result.images[1])
    assert [row["coordinate"] for row in result.rows()] == [1, 3]


def test_traversal_along_other_coordinates_sets_that_coordinate() -> None:
    model = BandDecoder()
    rotation, _ = torch.linalg.qr(torch.randn(D, D, generator=torch.Generator().manual_seed(0)))
    coords = LinearCoordinates(torch.ones(D), rotation, rotation.T.contiguous(), name="rot")
    base = torch.tensor([0.3, -0.2, 0.5, 0.1])
    low, high = torch.full((D,), -1.0), torch.full((D,), 1.0)
    result = traversal(model, base, coords, low, high, steps=4)
    z = model.seen[-1].view(D, 4, D)
    for k in range(D):
        c = coords.coordinates(z[k])  # (4, D): coordinate k takes the values, the rest stay
        torch.testing.assert_close(c[:, k], torch.linspace(-1, 1, 4), atol=1e-5, rtol=0)
        others = [j for j in range(D) if j != k]
        base_c = coords.coordinates(base.unsqueeze(0))[0, others]
        torch.testing.assert_close(c[:, others], base_c.expand(4, -1), atol=1e-5, rtol=0)
    assert result.name == "rot"


def test_row_effect_is_the_path_length() -> None:
    frames = torch.tensor([0.0, 0.5, 0.25]).view(1, 3, 1, 1, 1)
    torch.testing.assert_close(row_effects(frames), torch.tensor([0.75]))


def test_prior_span_is_mean_plus_minus_range_standard_deviations() -> None:
    model = BandDecoder()
    mean, scale = model.latent_prior()
    sigma = torch.diagonal(scale @ scale.T).sqrt()
    low, high = prior_span(model, 2.5)
    torch.testing.assert_close(low, mean - 2.5 * sigma)
    torch.testing.assert_close(high, mean + 2.5 * sigma)
    with pytest.raises(ConfigError, match="--range must be positive"):
        prior_span(model, 0.0)


def test_data_span_is_the_central_quantile_range() -> None:
    codes = torch.randn(500, 3, generator=torch.Generator().manual_seed(0))
    low, high = data_span(codes, coverage=0.9)
    torch.testing.assert_close(low, torch.quantile(codes, 0.05, dim=0))
    torch.testing.assert_close(high, torch.quantile(codes, 0.95, dim=0))
    with pytest.raises(DataError, match="at least 2"):
        data_span(codes[:1])


def test_bad_traversals_are_refused() -> None:
    model, base = BandDecoder(), torch.zeros(D)
    with pytest.raises(ConfigError, match="--steps must be >= 2"):
        traversal(model, base, latent_axes(D), -torch.ones(D), torch.ones(D), 1)
    with pytest.raises(ShapeError, match="one value per coordinate"):
        traversal(model, base, latent_axes(D), -torch.ones(3), torch.ones(3), 3)
    with pytest.raises(ShapeError, match="directions"):
        traverse(model, torch.zeros(3), torch.eye(D), torch.zeros(D, 2))
    with pytest.raises(ConfigError, match="--top"):
        traversal(model, base, latent_axes(D), -torch.ones(D), torch.ones(D), 3, top=0)
