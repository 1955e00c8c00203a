r"""Edge maps by the Sobel operator, the source images of the edges -> item task.

For a grey image I (RGB is first reduced to luma, ITU-R 601-2), with replicated borders,

.. math::  G_x = \begin{pmatrix}-1&0&1\\-2&0&2\\-1&0&1\end{pmatrix} * I,\qquad
           G_y = G_x^\top * I,\qquad |G| = \sqrt{G_x^2 + G_y^2},

and a pixel is an edge where :math:`|G| \ge t \max |G|` (the maximum over that image; t =
``threshold``). The edge map is binary, white edges on black, so it keeps the outline and the
inner contours of an item but not its shading: the model has to invent the shading, as in the
pix2pix edges -> photo tasks (Isola et al. 2017, https://arxiv.org/abs/1611.07004), whose edges
came from a learned detector (HED) rather than Sobel.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from latentforge.data.transforms import convert_channels
from latentforge.errors import ConfigError, ShapeError

DEFAULT_THRESHOLD = 0.25


def sobel_magnitude(images: torch.Tensor) -> torch.Tensor:
    """Gradient magnitude ``|G|`` of grey images ``(N, 1, H, W)`` (float), same shape.

    The 3x3 kernels are separable (a [1, 2, 1] smoothing times a [-1, 0, 1] difference), so
    both gradients are sums of shifted views of the padded image: no convolution call, which
    for one input channel is far slower on a CPU.
    """
    if images.dim() != 4 or images.shape[1] != 1:
        raise ShapeError(f"Sobel edges need grey images (N, 1, H, W), got {tuple(images.shape)}")
    height, width = images.shape[-2:]
    p = F.pad(images, (1, 1, 1, 1), mode="replicate")  # (N, 1, H + 2, W + 2)

    def rows(top: int) -> torch.Tensor:
        return p[..., top : top + height, :]  # (N, 1, H, W + 2)

    def cols(image: torch.Tensor, left: int) -> torch.Tensor:
        return image[..., left : left + width]

    smooth_y = rows(0) + 2 * rows(1) + rows(2)  # [1, 2, 1] down the columns
    diff_y = rows(2) - rows(0)  # [-1, 0, 1] down the columns
    g_x = cols(smooth_y, 2) - cols(smooth_y, 0)
    g_y = cols(diff_y, 0) + 2 * cols(diff_y, 1) + cols(diff_y, 2)
    return torch.sqrt(g_x.square() + g_y.square())


def edge_map(
    images: torch.Tensor, threshold: float = DEFAULT_THRESHOLD, chunk: int = 4096
) -> torch.Tensor:
    """``uint8 (N, C, H, W)`` images -> ``uint8 (N, C, H, W)`` binary edge maps (0 or 255; the
    same map in every channel), ``chunk`` images at a time to bound the float temporaries."""
    if not 0.0 < threshold < 1.0:
        raise ConfigError(f"the edge threshold must be in (0, 1), got {threshold}")
    out = torch.empty_like(images)
    for start in range(0, images.shape[0], chunk):
        part = images[start : start + chunk]
        magnitude = sobel_magnitude(convert_channels(part, 1).float() / 255.0)
        peak = magnitude.flatten(1).amax(dim=1).view(-1, 1, 1, 1)  # (n,) -> (n, 1, 1, 1)
        edges = (magnitude >= threshold * peak) & (peak > 0)
        out[start : start + chunk] = edges.to(torch.uint8).mul_(255).expand_as(part)
    return out
