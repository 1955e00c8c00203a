"""Latent walks: lerp and slerp against their closed forms."""

from __future__ import annotations

import math

import pytest
import torch

from latentforge.apps.interpolation import interpolation_strip, lerp, slerp, walk
from latentforge.errors import ConfigError, ShapeError


def test_lerp_is_the_straight_line() -> None:
    a, b = torch.tensor([1.0, 2.0]), torch.tensor([3.0, -2.0])
    torch.testing.assert_close(lerp(a, b, 0.25), torch.tensor([1.5, 1.0]))


def test_slerp_follows_the_unit_circle_between_orthogonal_vectors() -> None:
    e1, e2 = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])
    for t in (0.0, 0.3, 0.5, 1.0):
        angle = t * math.pi / 2
        expected = torch.tensor([math.cos(angle), math.sin(angle)])
        torch.testing.assert_close(slerp(e1, e2, t), expected)


def test_slerp_keeps_equal_norms_and_takes_equal_angles() -> None:
    g = torch.Generator().manual_seed(0)
    a = torch.randn(3, 64, generator=g)
    b = torch.randn(3, 64, generator=g)
    b = b / b.norm(dim=1, keepdim=True) * a.norm(dim=1, keepdim=True)
    path = walk(a, b, 7, spherical=True)  # (3, 7, 64)
    torch.testing.assert_close(path.norm(dim=2), a.norm(dim=1, keepdim=True).expand(3, 7))
    cos = torch.nn.functional.cosine_similarity(path[:, 1:], path[:, :-1], dim=2)
    torch.testing.assert_close(cos, cos[:, :1].expand_as(cos))  # equal steps along the arc


def test_slerp_of_parallel_vectors_falls_back_to_lerp() -> None:
    a = torch.tensor([[1.0, 2.0]])
    b = 3 * a
    torch.testing.assert_close(slerp(a, b, 0.5), lerp(a, b, 0.5))


def test_walk_starts_and_ends_at_the_end_points() -> None:
    a, b = torch.randn(2, 5), torch.randn(2, 5)
    for spherical in (False, True):
        path = walk(a, b, 4, spherical)
        assert path.shape == (2, 4, 5)
        torch.testing.assert_close(path[:, 0], a)
        torch.testing.assert_close(path[:, -1], b)


def test_bad_walks_are_refused() -> None:
    with pytest.raises(ConfigError, match="at least 2 steps"):
        walk(torch.zeros(1, 2), torch.ones(1, 2), 1)
    with pytest.raises(ShapeError):
        lerp(torch.zeros(2), torch.zeros(3), 0.5)


class _Identity:
    """A 'model' whose images are its latents, to read a strip back."""

    def sample_latent(self, n, generator=None):
        return torch.rand(n, 1, generator=generator)

    def decode(self, z):
        return z.view(-1, 1, 1, 1)


def test_strip_rows_walk_between_consecutive_draws() -> None:
    strip = interpolation_strip(
        _Identity(), rows=2, steps=3, generator=torch.Generator().manual_seed(0)
    )
    ends = torch.rand(4, 1, generator=torch.Generator().manual_seed(0))
    rows = strip.view(2, 3)
    torch.testing.assert_close(rows[:, 0], ends[:2, 0])
    torch.testing.assert_close(rows[:, 1], (ends[:2, 0] + ends[2:, 0]) / 2)
    torch.testing.assert_close(rows[:, 2], ends[2:, 0])
