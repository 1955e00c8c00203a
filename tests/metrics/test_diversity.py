"""Mean pairwise distance against scipy, and the diversity ratio's fixed points."""

from __future__ import annotations

import pytest
import torch
from scipy.spatial.distance import pdist

from latentforge.errors import ShapeError
from latentforge.metrics.diversity import diversity_ratio, mean_pairwise_distance


def test_mean_pairwise_distance_matches_scipy() -> None:
    features = torch.randn(17, 5, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    expected = pdist(features.numpy(), "euclidean").mean()
    assert mean_pairwise_distance(features).item() == pytest.approx(expected, rel=1e-6)


def test_mean_pairwise_distance_by_hand() -> None:
    # points 0, 3, 4 on a line: distances 3, 4, 1 -> mean 8 / 3
    features = torch.tensor([[0.0], [3.0], [4.0]])
    assert mean_pairwise_distance(features).item() == pytest.approx(8 / 3)


def test_mean_pairwise_distance_needs_two_rows() -> None:
    with pytest.raises(ShapeError, match="N >= 2"):
        mean_pairwise_distance(torch.zeros(1, 3))


def test_diversity_ratio_fixed_points() -> None:
    g = torch.Generator().manual_seed(1)
    real = torch.rand(32, 1, 6, 6, generator=g)
    assert diversity_ratio(real, real).item() == pytest.approx(1.0)
    collapsed = real[:1].expand(32, -1, -1, -1)
    assert diversity_ratio(collapsed, real).item() == 0.0
    # scaling every image about a common point scales all distances
    spread = 0.5 + 2.0 * (real - 0.5)
    assert diversity_ratio(spread, real).item() == pytest.approx(2.0, rel=1e-5)


def test_diversity_ratio_uses_at_most_max_images() -> None:
    real = torch.rand(10, 3)
    fake = torch.cat([real[:4], torch.full((6, 3), 100.0)])  # far-off rows past the cut
    ratio = diversity_ratio(fake, real, features=lambda x: x, max_images=4)
    assert ratio.item() == pytest.approx(1.0)
    assert diversity_ratio(fake, real, features=lambda x: x).item() > 10  # all ten rows
