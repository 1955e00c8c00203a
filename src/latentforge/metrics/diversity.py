"""Sample diversity: the mean pairwise distance of features, and its ratio to real data.

For features f_1 .. f_n (one row per image),

    MPD(f) = 2 / (n (n - 1)) * sum_{i < j} ||f_i - f_j||_2,

and the diversity of generated images relative to real ones is

    diversity = MPD(features(fake)) / MPD(features(real)).

A generator that has collapsed onto a few modes makes images that sit close together, so the
ratio falls far below 1 (0 for a generator that ignores its noise). The measure is cheap on a
small batch (n = 64: 2,016 distances), so a GAN logs it while it trains. It is the batch
statistic behind minibatch discrimination (Salimans et al. 2016,
https://arxiv.org/abs/1606.03498) and the "mean pairwise distance" mode-collapse check used,
for example, by Srivastava et al. 2017 (VEEGAN, https://arxiv.org/abs/1705.07761).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from latentforge.errors import ShapeError

Features = Callable[[Tensor], Tensor]


def flat_pixels(images: Tensor) -> Tensor:
    """Images ``(N, C, H, W)`` -> pixel features ``(N, C * H * W)`` (the default features)."""
    return images.reshape(images.shape[0], -1)


def mean_pairwise_distance(features: Tensor) -> Tensor:
    """MPD of the rows of ``features`` ``(N, D)`` with N >= 2, as a scalar tensor."""
    if features.dim() != 2 or features.shape[0] < 2:
        raise ShapeError(
            f"mean pairwise distance needs features shaped (N, D) with N >= 2, "
            f"got {tuple(features.shape)}"
        )
    return torch.pdist(features.float()).mean()


@torch.no_grad()
def diversity_ratio(
    fake: Tensor, real: Tensor, features: Features = flat_pixels, max_images: int = 64
) -> Tensor:
    """MPD of the features of (up to ``max_images``) generated images over that of real ones
    (the real MPD floored at 1e-12, for a batch of identical real images)."""
    n = min(max_images, fake.shape[0], real.shape[0])
    fake_mpd = mean_pairwise_distance(features(fake[:n].detach()))
    real_mpd = mean_pairwise_distance(features(real[:n].detach()))
    return fake_mpd / real_mpd.clamp_min(1e-12)
