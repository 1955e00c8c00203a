r"""Losses of image-to-image translation: the L1 terms of pix2pix and CycleGAN.

All three are mean absolute errors over every pixel and channel of the batch (the papers'
``||.||_1`` divided by the number of values, as in their reference code):

- :func:`l1_loss`: pix2pix's reconstruction term (Isola et al. 2017,
  https://arxiv.org/abs/1611.07004, eq. 3), :math:`\mathcal L_{L1}(G) = \mathbb E\|y - G(x)\|_1`,
  weighted by lambda = 100 against the conditional GAN loss.
- :func:`cycle_consistency_loss`: CycleGAN's cycle term (Zhu et al. 2017,
  https://arxiv.org/abs/1703.10593, eq. 2), :math:`\mathcal L_{cyc}(G, F) =
  \mathbb E_a\|F(G(a)) - a\|_1 + \mathbb E_b\|G(F(b)) - b\|_1`, weighted by lambda = 10.
- :func:`identity_loss`: CycleGAN's identity term (section 5.2, from Taigman et al. 2017,
  https://arxiv.org/abs/1611.02200), :math:`\mathcal L_{idt}(G, F) = \mathbb E_b\|G(b) - b\|_1
  + \mathbb E_a\|F(a) - a\|_1`: a generator fed an image already in its target domain should
  leave it alone, which keeps colours and tones. Weighted by 0.5 lambda.
"""

from __future__ import annotations

from torch import Tensor

from latentforge.losses._checks import require_batched, require_same_shape


def l1_loss(prediction: Tensor, target: Tensor) -> Tensor:
    r""":math:`\frac{1}{n}\sum_i |p_i - t_i|` over all n values of the batch."""
    require_same_shape(prediction, target, "prediction", "target")
    require_batched(target, "target")
    return (prediction - target).abs().mean()


def cycle_consistency_loss(
    real_a: Tensor, cycled_a: Tensor, real_b: Tensor, cycled_b: Tensor
) -> Tensor:
    r""":math:`\mathbb E\|F(G(a)) - a\|_1 + \mathbb E\|G(F(b)) - b\|_1`, with ``cycled_a`` =
    F(G(a)) and ``cycled_b`` = G(F(b))."""
    return l1_loss(cycled_a, real_a) + l1_loss(cycled_b, real_b)


def identity_loss(real_a: Tensor, same_a: Tensor, real_b: Tensor, same_b: Tensor) -> Tensor:
    r""":math:`\mathbb E\|F(a) - a\|_1 + \mathbb E\|G(b) - b\|_1`, with ``same_a`` = F(a)
    (the B -> A generator on an A image) and ``same_b`` = G(b)."""
    return l1_loss(same_a, real_a) + l1_loss(same_b, real_b)
