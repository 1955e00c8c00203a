"""Hole masks for inpainting, and the windows a local discriminator crops around a hole.

A mask is a float tensor ``(N, 1, H, W)`` with 1 in the hole (pixels to fill) and 0 where the
image is known. Every draw takes an optional ``torch.Generator`` (the global RNG when
``None``, which the training engine seeds), so the same seed gives the same masks.
``hole_size`` s in (0, 1] sets the scale of the holes as a share of the image side:

- ``centre``: one centred rectangle of round(s H) x round(s W) (a square on square images; the
  "central region" of Pathak et al. 2016, https://arxiv.org/abs/1604.07379, with s = 1/2);
- ``rectangles``: 1 to 3 axis-aligned rectangles, each side uniform in [s/4, s] of the image
  side, placed uniformly inside the image (Iizuka et al. 2017's random holes,
  https://doi.org/10.1145/3072959.3073659);
- ``strokes``: 1 to 4 brush strokes, each a polyline of 2 to 5 vertices whose segments have a
  uniform direction and a length up to s times the shorter side, drawn with a round brush of
  diameter uniform in [s/8, s/4] of the shorter side (at least 1 pixel): the free-form masks
  of Yu et al. 2019, https://arxiv.org/abs/1806.03589;
- ``mixed``: each image draws one of the three kinds, uniformly.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from latentforge.errors import ConfigError, ShapeError
from latentforge.registry import Registry

MaskMaker = Callable[[int, tuple[int, int], float, "torch.Generator | None"], Tensor]
MASKS: Registry[MaskMaker] = Registry("mask")


def _uniform(
    shape: tuple[int, ...], low: Tensor | float, high: Tensor | float, generator
) -> Tensor:
    """Uniform draws in [low, high) of ``shape`` (float32, CPU) from ``generator``."""
    return low + (high - low) * torch.rand(shape, generator=generator)


def _grid(size: tuple[int, int]) -> tuple[Tensor, Tensor]:
    """Pixel-centre coordinates ``rows (H, 1)`` and ``cols (1, W)``."""
    h, w = size
    return torch.arange(h, dtype=torch.float32)[:, None], torch.arange(w, dtype=torch.float32)[None]


def _check(n: int, size: tuple[int, int], hole_size: float) -> None:
    if n < 0 or len(size) != 2 or min(size) < 1:
        raise ShapeError(f"masks need n >= 0 and a positive (height, width); got {n}, {size}")
    if not 0.0 < hole_size <= 1.0:
        raise ConfigError(f"--hole-size must be in (0, 1] (a share of the side), got {hole_size}")


def boxes_mask(size: tuple[int, int], tops: Tensor, lefts: Tensor, heights: Tensor, widths: Tensor):
    """Union of the rectangles ``[top, top + height) x [left, left + width)``: tensors
    ``(N, K)`` of K rectangles per image -> masks ``(N, 1, H, W)``."""
    rows, cols = _grid(size)
    inside_rows = (rows >= tops[..., None, None]) & (rows < (tops + heights)[..., None, None])
    inside_cols = (cols >= lefts[..., None, None]) & (cols < (lefts + widths)[..., None, None])
    return (
        (inside_rows & inside_cols).any(dim=1, keepdim=True).float()
    )  # (N, K, H, W) -> (N, 1, ..)


@MASKS.register("centre")
def centre_masks(
    n: int, size: tuple[int, int], hole_size: float = 0.5, generator: torch.Generator | None = None
) -> Tensor:
    """One centred round(s H) x round(s W) hole per image (no randomness)."""
    _check(n, size, hole_size)
    (h, w) = size
    hh, hw = max(1, round(hole_size * h)), max(1, round(hole_size * w))
    full = torch.full((n, 1), 1.0)
    return boxes_mask(size, full * ((h - hh) // 2), full * ((w - hw) // 2), full * hh, full * hw)


@MASKS.register("rectangles")
def rectangle_masks(
    n: int, size: tuple[int, int], hole_size: float = 0.5, generator: torch.Generator | None = None
) -> Tensor:
    """1 to 3 rectangles per image, sides uniform in [s/4, s] of the image side."""
    _check(n, size, hole_size)
    h, w = size
    count = torch.randint(1, 4, (n, 1), generator=generator)
    heights = _uniform((n, 3), hole_size / 4 * h, hole_size * h, generator).round().clamp(1, h)
    widths = _uniform((n, 3), hole_size / 4 * w, hole_size * w, generator).round().clamp(1, w)
    tops = (_uniform((n, 3), 0.0, 1.0, generator) * (h - heights + 1)).floor()
    lefts = (_uniform((n, 3), 0.0, 1.0, generator) * (w - widths + 1)).floor()
    unused = torch.arange(3)[None] >= count  # (N, 3): rectangles beyond the count get no area
    return boxes_mask(size, tops, lefts, heights.masked_fill(unused, 0), widths)


def _segment_distance(rows: Tensor, cols: Tensor, start: Tensor, end: Tensor) -> Tensor:
    """Distance of every pixel centre to the segments ``start -> end`` (``(..., 2)`` as
    (row, col)): ``(..., H, W)``. The projection parameter is clamped to [0, 1]."""
    direction = end - start
    length2 = direction.pow(2).sum(-1).clamp_min(1e-12)[..., None, None]
    dr, dc = rows - start[..., 0, None, None], cols - start[..., 1, None, None]
    t = (dr * direction[..., 0, None, None] + dc * direction[..., 1, None, None]) / length2
    t = t.clamp(0.0, 1.0)
    return torch.hypot(
        dr - t * direction[..., 0, None, None], dc - t * direction[..., 1, None, None]
    )


@MASKS.register("strokes")
def stroke_masks(
    n: int, size: tuple[int, int], hole_size: float = 0.5, generator: torch.Generator | None = None
) -> Tensor:
    """1 to 4 free-form strokes of 1 to 4 segments each, drawn with a round brush."""
    _check(n, size, hole_size)
    h, w = size
    short = float(min(h, w))
    strokes, segments = 4, 4
    count = torch.randint(1, strokes + 1, (n, 1), generator=generator)
    vertices = torch.randint(2, segments + 2, (n, strokes), generator=generator)  # 2..5
    start = _uniform((n, strokes, 2), 0.0, 1.0, generator) * torch.tensor([h - 1.0, w - 1.0])
    angles = _uniform((n, strokes, segments), 0.0, 2 * torch.pi, generator)
    lengths = _uniform((n, strokes, segments), 0.0, hole_size * short, generator)
    radius = _uniform((n, strokes), hole_size / 16 * short, hole_size / 8 * short, generator)
    radius = radius.clamp_min(0.5)
    steps = torch.stack([lengths * torch.sin(angles), lengths * torch.cos(angles)], dim=-1)
    limits = torch.tensor([h - 1.0, w - 1.0])
    points = [start]
    for k in range(segments):  # each vertex stays inside the image
        points.append(torch.minimum((points[-1] + steps[:, :, k]).clamp_min(0.0), limits))
    rows, cols = _grid(size)
    hole = torch.zeros(n, strokes, h, w, dtype=torch.bool)
    for k in range(segments):
        active = k + 1 < vertices  # a polyline of v vertices has v - 1 segments
        near = _segment_distance(rows, cols, points[k], points[k + 1]) <= radius[..., None, None]
        hole |= near & active[..., None, None]
    used = torch.arange(strokes)[None] < count  # (N, strokes)
    return (hole & used[..., None, None]).any(dim=1, keepdim=True).float()


@MASKS.register("mixed")
def mixed_masks(
    n: int, size: tuple[int, int], hole_size: float = 0.5, generator: torch.Generator | None = None
) -> Tensor:
    """Each image's mask from ``centre``, ``rectangles`` or ``strokes``, chosen uniformly."""
    _check(n, size, hole_size)
    kinds = torch.randint(0, 3, (n,), generator=generator)
    masks = torch.zeros(n, 1, *size)
    for kind, make in enumerate((centre_masks, rectangle_masks, stroke_masks)):
        chosen = kinds == kind
        masks[chosen] = make(int(chosen.sum()), size, hole_size, generator)
    return masks


def make_masks(
    kind: str,
    n: int,
    size: tuple[int, int],
    hole_size: float = 0.5,
    generator: torch.Generator | None = None,
    device: torch.device | str = "cpu",
) -> Tensor:
    """``n`` masks of ``kind`` (see the module docstring), drawn on the CPU from ``generator``
    (the same numbers on any device) and moved to ``device``."""
    if generator is not None and generator.device.type != "cpu":
        raise ConfigError("mask draws use a CPU torch.Generator (the same masks on any device)")
    return MASKS.get(kind)(n, tuple(size), hole_size, generator).to(device)


# --- the local discriminator's window ---------------------------------------------------
def hole_windows(masks: Tensor, window: tuple[int, int]) -> tuple[Tensor, Tensor]:
    """Top-left corners ``(tops, lefts)``, each ``(N,)`` int64, of a ``window``-sized crop per
    mask, centred on the bounding box of its hole and shifted to lie inside the image (an
    image without a hole gets the centred window). Used to show a local discriminator the
    filled region (Iizuka et al. 2017, section 3.2)."""
    n, _, h, w = masks.shape
    wh, ww = window
    if not (1 <= wh <= h and 1 <= ww <= w):
        raise ShapeError(f"a {wh}x{ww} window does not fit in {h}x{w} images")

    def centre(profile: Tensor, length: int) -> Tensor:  # profile: (N, L) bool
        index = torch.arange(length, device=profile.device)
        first = torch.where(profile, index, length).amin(dim=1)
        last = torch.where(profile, index, -1).amax(dim=1)
        empty = ~profile.any(dim=1)
        middle = (first + last).float() / 2.0
        return torch.where(empty, torch.full_like(middle, (length - 1) / 2.0), middle)

    hole = masks[:, 0] > 0.5  # (N, H, W)
    rows, cols = centre(hole.any(dim=2), h), centre(hole.any(dim=1), w)
    tops = torch.floor(rows - (wh - 1) / 2.0 + 0.5).long().clamp(0, h - wh)
    lefts = torch.floor(cols - (ww - 1) / 2.0 + 0.5).long().clamp(0, w - ww)
    return tops, lefts


def crop_windows(images: Tensor, tops: Tensor, lefts: Tensor, window: tuple[int, int]) -> Tensor:
    """``images[n, :, tops[n]:tops[n]+wh, lefts[n]:lefts[n]+ww]`` for each n, in one
    gather: ``(N, C, H, W)`` -> ``(N, C, wh, ww)`` (differentiable in ``images``)."""
    n = images.shape[0]
    wh, ww = window
    rows = tops[:, None] + torch.arange(wh, device=images.device)  # (N, wh)
    cols = lefts[:, None] + torch.arange(ww, device=images.device)  # (N, ww)
    batch = torch.arange(n, device=images.device)[:, None, None]
    crops = images.permute(0, 2, 3, 1)[batch, rows[:, :, None], cols[:, None, :]]  # (N, wh, ww, C)
    return crops.permute(0, 3, 1, 2)
