"""PSNR and SSIM inside a hole: how well an inpainting fills the pixels it had to invent.

With a mask m (1 in the hole, 0 where the image was given; ``(N, 1, H, W)``):

    MSE_hole,n  = sum m (x - y)^2 / (C sum m)           (over the hole's pixels and channels)
    PSNR_hole,n = 10 log10(R^2 / MSE_hole,n)
    SSIM_hole,n = mean of the SSIM map over the windows whose centre pixel lies in the hole

Outside the hole an inpainting returns the given pixels, so whole-image numbers mostly
measure the hole's size; these measure the filling. SSIM windows are those of
:func:`~latentforge.metrics.image_quality.ssim_map` (11 x 11 Gaussian, sigma 1.5); a hole whose
pixels are all within 5 pixels of the border has no window centred in it and gets NaN.
"""

from __future__ import annotations

import torch

from latentforge.errors import ShapeError
from latentforge.metrics.image_quality import ssim_map


def _check_mask(pred: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    if masks.ndim != 4 or masks.shape[1] != 1 or masks.shape[0] != pred.shape[0]:
        raise ShapeError(f"masks must be (N, 1, H, W) for images {tuple(pred.shape)}")
    if masks.shape[-2:] != pred.shape[-2:]:
        raise ShapeError(f"masks {tuple(masks.shape)} and images {tuple(pred.shape)} differ")
    if not bool((masks.flatten(1) > 0.5).any(dim=1).all()):
        raise ShapeError("every mask needs at least one hole pixel (1) to measure inside it")
    return (masks > 0.5).to(torch.float64)


def per_image_hole_mse(pred: torch.Tensor, target: torch.Tensor, masks: torch.Tensor):
    """``MSE_hole`` per image: shape (N,)."""
    if pred.shape != target.shape:
        raise ShapeError(f"pred {tuple(pred.shape)} and target {tuple(target.shape)} differ")
    m = _check_mask(pred, masks)
    squared = (pred.detach().double() - target.detach().double()).pow(2) * m
    return squared.flatten(1).sum(1) / (m.flatten(1).sum(1) * pred.shape[1])


def per_image_hole_psnr(
    pred: torch.Tensor, target: torch.Tensor, masks: torch.Tensor, data_range: float = 1.0
) -> torch.Tensor:
    """``PSNR_hole`` per image in dB: shape (N,); +inf for a pixel-exact fill."""
    return 10.0 * torch.log10(data_range**2 / per_image_hole_mse(pred, target, masks))


def per_image_hole_ssim(
    pred: torch.Tensor,
    target: torch.Tensor,
    masks: torch.Tensor,
    data_range: float = 1.0,
    window_size: int = 11,
) -> torch.Tensor:
    """``SSIM_hole`` per image: shape (N,), NaN where no window is centred in the hole."""
    m = _check_mask(pred, masks)
    values = ssim_map(pred, target, data_range, window_size).mean(dim=1)  # (N, H', W')
    half = window_size // 2
    centres = m[:, 0, half : half + values.shape[1], half : half + values.shape[2]]
    return (values * centres).flatten(1).sum(1) / centres.flatten(1).sum(1)
