"""Denoising with an autoencoder trained on corrupted inputs and clean targets.

A denoising autoencoder (Vincent, Larochelle, Bengio & Manzagol 2008,
https://doi.org/10.1145/1390156.1390294) minimises E_{x, x~ ~ q(x~|x)} ||x - g(f(x~))||^2:
the encoder f sees a corrupted image x~ (``latentforge train ae --noise gaussian:0.3``) and the
decoder g must give back the clean x. Denoising is then one pass, x_hat = g(f(x~)); the VAE
decodes the posterior mean. The model is used only through ``reconstruct``.

Quality is measured against the clean image with PSNR and SSIM
(:mod:`latentforge.metrics.image_quality`), for the noisy input and for the output.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from latentforge.data.corruption import Corruption
from latentforge.errors import ConfigError
from latentforge.metrics.image_quality import per_image_psnr, per_image_ssim
from latentforge.models.capabilities import Reconstructs, require_capability


def require_reconstruct(model: nn.Module, what: str = "denoise") -> None:
    """``ConfigError`` unless ``model`` can reconstruct images (an autoencoder or a VAE)."""
    require_capability(model, Reconstructs, f"cannot {what} images; use an ae or vae run")


@torch.no_grad()
def denoise(model: nn.Module, images: Tensor, batch_size: int = 256) -> Tensor:
    """x_hat = model.reconstruct(x~) for corrupted images ``(N, C, H, W)`` in [0, 1].

    Runs in batches of ``batch_size`` on the model's device; returns a tensor on the
    device of ``images``.
    """
    require_reconstruct(model)
    if batch_size < 1:
        raise ConfigError(f"batch_size must be >= 1, got {batch_size}")
    device = next(model.parameters()).device
    parts = [
        model.reconstruct(images[start : start + batch_size].to(device)).to(images.device)
        for start in range(0, images.shape[0], batch_size)
    ]
    return torch.cat(parts) if parts else images.clone()


@dataclass
class DenoisingResult:
    """Noisy inputs, outputs and their mean PSNR (dB) and SSIM against the clean images."""

    noisy: Tensor
    denoised: Tensor
    psnr_noisy: float
    psnr_denoised: float
    ssim_noisy: float
    ssim_denoised: float

    @property
    def psnr_gain(self) -> float:
        """PSNR(output) - PSNR(noisy input), in dB."""
        return self.psnr_denoised - self.psnr_noisy

    def metrics(self) -> dict[str, float]:
        return {
            "psnr_noisy": self.psnr_noisy,
            "psnr_denoised": self.psnr_denoised,
            "psnr_gain": self.psnr_gain,
            "ssim_noisy": self.ssim_noisy,
            "ssim_denoised": self.ssim_denoised,
        }


def _mean_quality(pred: Tensor, clean: Tensor, batch_size: int) -> tuple[float, float]:
    """Mean per-image PSNR and SSIM of ``pred`` against ``clean``, in batches."""
    psnr, ssim = [], []
    for start in range(0, clean.shape[0], batch_size):
        p, c = pred[start : start + batch_size], clean[start : start + batch_size]
        psnr.append(per_image_psnr(p, c))
        ssim.append(per_image_ssim(p, c))
    return torch.cat(psnr).mean().item(), torch.cat(ssim).mean().item()


def evaluate_denoising(
    model: nn.Module,
    clean: Tensor,
    corruption: Corruption,
    generator: torch.Generator | None = None,
    batch_size: int = 256,
) -> DenoisingResult:
    """Corrupt ``clean`` images, denoise them, and measure both against ``clean``.

    The corruption draws from ``generator`` (seeded by the caller for a repeatable benchmark).
    """
    noisy = corruption(clean, generator)
    denoised = denoise(model, noisy, batch_size)
    psnr_noisy, ssim_noisy = _mean_quality(noisy, clean, batch_size)
    psnr_out, ssim_out = _mean_quality(denoised, clean, batch_size)
    return DenoisingResult(noisy, denoised, psnr_noisy, psnr_out, ssim_noisy, ssim_out)
