"""Latent walks: lerp and slerp against their closed forms."""

from __future__ import annotations

import math

import pytest
import torch

from latentforge.apps.interpolation import (
    input_walks,
    interpolation_strip,
    lerp,
    prior_walks,
    slerp,
    smoothness,
    step_changes,
    walk,
)
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


# --- walks between inputs, and how smooth a walk is ------------------------------------------


class _PixelCodec:
    """Codes are the pixels themselves, so a walk between codes is a pixel cross-fade."""

    def encode(self, images):
        return images.flatten(1)

    def decode(self, z):
        return z.view(-1, 1, 2, 3)


def _cross_fade(a, b, steps):
    t = torch.linspace(0, 1, steps).view(1, steps, 1, 1, 1)
    return (1 - t) * a.unsqueeze(1) + t * b.unsqueeze(1)  # (R, steps, C, H, W)


def test_input_walks_cross_fade_between_the_inputs_codes() -> None:
    g = torch.Generator().manual_seed(1)
    a, b = torch.rand(2, 1, 2, 3, generator=g), torch.rand(2, 1, 2, 3, generator=g)
    frames = input_walks(_PixelCodec(), a, b, steps=5)
    assert frames.shape == (2, 5, 1, 2, 3)
    torch.testing.assert_close(frames, _cross_fade(a, b, 5))


def test_input_walks_need_matching_ends() -> None:
    with pytest.raises(ShapeError, match="same number of images"):
        input_walks(_PixelCodec(), torch.rand(2, 1, 2, 3), torch.rand(1, 1, 2, 3), steps=3)


def test_a_cross_fade_is_perfectly_smooth() -> None:
    g = torch.Generator().manual_seed(2)
    a, b = torch.rand(3, 1, 4, 4, generator=g), torch.rand(3, 1, 4, 4, generator=g)
    steps = 6
    measure = smoothness(_cross_fade(a, b, steps))
    direct = (b - a).abs().flatten(1).mean(1)  # (R,)
    assert measure.mean_step == pytest.approx(float(direct.mean()) / (steps - 1), rel=1e-5)
    assert measure.endpoint_change == pytest.approx(float(direct.mean()), rel=1e-6)
    assert measure.path_ratio == pytest.approx(1.0, rel=1e-5)
    assert measure.largest_share == pytest.approx(1 / (steps - 1), rel=1e-5)


def test_a_jump_takes_the_whole_path_and_a_detour_lengthens_it() -> None:
    a, b = torch.zeros(1, 1, 1, 2), torch.ones(1, 1, 1, 2)
    jump = torch.stack([a, a, a, b, b], dim=1)  # (1, 5, 1, 1, 2): all change in one step
    measure = smoothness(jump)
    assert measure.largest_share == pytest.approx(1.0)
    assert measure.mean_step == pytest.approx(1 / 4)
    detour = torch.stack([a, b, a, b], dim=1)  # out, back and out again: 3 times the distance
    assert smoothness(detour).path_ratio == pytest.approx(3.0)


def test_step_changes_are_mean_absolute_differences() -> None:
    frames = torch.tensor([[[0.0, 0.2], [0.5, 0.2], [0.5, 1.0]]]).view(1, 3, 1, 1, 2)
    torch.testing.assert_close(step_changes(frames), torch.tensor([[0.25, 0.4]]))
    with pytest.raises(ShapeError, match="steps >= 2"):
        step_changes(frames[:, :1])


def test_prior_walks_clamp_decoded_frames_to_the_unit_range() -> None:
    class Loud(_Identity):
        def decode(self, z):
            return (4 * z - 2).view(-1, 1, 1, 1)

    frames = prior_walks(Loud(), rows=3, steps=4, generator=torch.Generator().manual_seed(0))
    assert frames.shape == (3, 4, 1, 1, 1)
    assert frames.min() >= 0 and frames.max() <= 1
    assert ((frames == 0) | (frames == 1)).any()
