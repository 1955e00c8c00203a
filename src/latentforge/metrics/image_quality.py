"""Paired image quality: MSE, PSNR and SSIM for images (N, C, H, W) in [0, 1].

    MSE_n  = mean over (c, h, w) of (x - y)^2
    PSNR_n = 10 log10(R^2 / MSE_n)                                  (R = data range = 1)
    SSIM   = mean over windows of ((2 mu_x mu_y + C1)(2 s_xy + C2))
                                 / ((mu_x^2 + mu_y^2 + C1)(s_x^2 + s_y^2 + C2)),
             C1 = (K1 R)^2, C2 = (K2 R)^2

SSIM: Wang, Bovik, Sheikh and Simoncelli 2004, "Image Quality Assessment: From Error Visibility
to Structural Similarity", https://doi.org/10.1109/TIP.2003.819861, with its settings: an 11 x 11
Gaussian window of sigma 1.5, K1 = 0.01, K2 = 0.03; local moments are Gaussian-weighted, taken
over "valid" windows only (no padding), and averaged over positions and channels.

PSNR is computed per image and then averaged (the mean of the logs, not the log of the mean
MSE), so one near-perfect image does not hide the rest; a pixel-exact pair has PSNR = +inf.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from latentforge.errors import ConfigError, ShapeError


def _image_pair(pred: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    if pred.shape != target.shape or pred.ndim != 4:
        raise ShapeError(
            f"pred and target must be image batches of one shape (N, C, H, W); got "
            f"{tuple(pred.shape)} and {tuple(target.shape)}"
        )
    dtype = torch.promote_types(torch.promote_types(pred.dtype, target.dtype), torch.float32)
    return pred.detach().to(dtype), target.detach().to(dtype)


def _check_range(data_range: float) -> float:
    if data_range <= 0:
        raise ConfigError(f"data_range must be positive (1 for [0, 1] images), got {data_range}")
    return float(data_range)


def per_image_mse(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared error of each pair over channels and pixels: shape (N,)."""
    pred, target = _image_pair(pred, target)
    return (pred - target).pow(2).flatten(1).mean(dim=1)


def mse(pred: torch.Tensor, target: torch.Tensor) -> float:
    """Mean squared error over the batch (every image has the same size, so = mean per image)."""
    return per_image_mse(pred, target).mean().item()


def per_image_psnr(
    pred: torch.Tensor, target: torch.Tensor, data_range: float = 1.0
) -> torch.Tensor:
    """PSNR_n = 10 log10(R^2 / MSE_n) in dB per image: shape (N,); +inf for identical images."""
    data_range = _check_range(data_range)
    return 10.0 * torch.log10(data_range**2 / per_image_mse(pred, target))


def psnr(pred: torch.Tensor, target: torch.Tensor, data_range: float = 1.0) -> float:
    """Mean of the per-image PSNR in dB; higher is better (~20 blurry, ~30+ good, +inf exact)."""
    return per_image_psnr(pred, target, data_range).mean().item()


def gaussian_window(size: int = 11, sigma: float = 1.5) -> torch.Tensor:
    """Normalised 1-D Gaussian g_i proportional to exp(-(i - (size-1)/2)^2 / (2 sigma^2))."""
    offsets = torch.arange(size, dtype=torch.float64) - (size - 1) / 2.0
    weights = torch.exp(-offsets.pow(2) / (2.0 * sigma**2))
    return weights / weights.sum()


def _local_mean(images: torch.Tensor, window: torch.Tensor) -> torch.Tensor:
    """Separable Gaussian filter, valid windows only: (N, C, H, W) -> (N, C, H-s+1, W-s+1)."""
    channels, size = images.shape[1], window.numel()
    rows = window.to(images).reshape(1, 1, 1, size).expand(channels, 1, 1, size)
    columns = rows.reshape(channels, 1, size, 1)
    return F.conv2d(F.conv2d(images, rows, groups=channels), columns, groups=channels)


def ssim_map(
    pred: torch.Tensor,
    target: torch.Tensor,
    data_range: float = 1.0,
    window_size: int = 11,
    sigma: float = 1.5,
    k1: float = 0.01,
    k2: float = 0.03,
) -> torch.Tensor:
    """SSIM at every valid window position: ``(N, C, H - s + 1, W - s + 1)`` in float64, the
    window at ``[i, j]`` covering pixels ``[i, i + s) x [j, j + s)``.

    The local moments are taken in float64: s_x^2 = E[x^2] - mu_x^2 cancels in flat regions,
    and in float32 that error (~1e-8) is not small next to C2 = 9e-4.
    """
    data_range = _check_range(data_range)
    pred, target = (image.to(torch.float64) for image in _image_pair(pred, target))
    if min(pred.shape[-2:]) < window_size:
        raise ShapeError(
            f"SSIM with a {window_size}x{window_size} window needs images at least that large, "
            f"got {tuple(pred.shape[-2:])}; pass a smaller window_size"
        )
    channels = pred.shape[1]
    stacked = torch.cat([pred, target, pred * pred, target * target, pred * target], dim=1)
    moments = _local_mean(stacked, gaussian_window(window_size, sigma))  # (N, 5C, H', W')
    mu_x, mu_y, e_xx, e_yy, e_xy = moments.split(channels, dim=1)
    var_x, var_y = e_xx - mu_x.pow(2), e_yy - mu_y.pow(2)
    cov_xy = e_xy - mu_x * mu_y
    c1, c2 = (k1 * data_range) ** 2, (k2 * data_range) ** 2
    return ((2 * mu_x * mu_y + c1) * (2 * cov_xy + c2)) / (
        (mu_x.pow(2) + mu_y.pow(2) + c1) * (var_x + var_y + c2)
    )


def per_image_ssim(
    pred: torch.Tensor, target: torch.Tensor, data_range: float = 1.0, **window: float
) -> torch.Tensor:
    """Mean SSIM of each pair over valid window positions and channels: shape (N,).

    ``window``: ``window_size``, ``sigma``, ``k1``, ``k2`` as in :func:`ssim_map` (default:
    the paper's).
    """
    return ssim_map(pred, target, data_range, **window).flatten(1).mean(dim=1)


def ssim(
    pred: torch.Tensor, target: torch.Tensor, data_range: float = 1.0, **window: float
) -> float:
    """Mean SSIM over the batch, in [-1, 1]; 1 means identical images (``window`` as in
    :func:`ssim_map`)."""
    return per_image_ssim(pred, target, data_range, **window).mean().item()
