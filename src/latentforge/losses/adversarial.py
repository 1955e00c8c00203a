r"""GAN losses on raw discriminator (critic) scores.

The discriminator returns a raw score (a logit) per image, or per patch for a PatchGAN;
D(x) = sigmoid(score) where a loss reads it as a probability. Every loss is a mean over all
score elements. Real and fake scores are averaged separately, so the two batches may differ in
size. The discriminator minimises ``discriminator_loss(real_scores, fake_scores)`` and the
generator minimises ``generator_loss(fake_scores)``.

:data:`ADVERSARIAL_LOSSES` maps a name to an :class:`AdversarialLoss` bundling the two
functions with flags telling the model which Lipschitz constraint the critic needs:

====================  =========================================  ====================
name                  discriminator / critic loss                generator loss
====================  =========================================  ====================
minimax               -E[log D(x)] - E[log(1 - D(G(z)))]         E[log(1 - D(G(z)))]
non-saturating        same                                       -E[log D(G(z))]
wasserstein           E[f] - E[r]  (+ weight clipping)           -E[f]
wasserstein-gp        E[f] - E[r]  (+ gradient penalty)          -E[f]
wasserstein-gp-drift  E[f] - E[r] + 0.001 E[r^2]  (+ penalty)    -E[f]
hinge                 E[relu(1 - r)] + E[relu(1 + f)]            -E[f]
least-squares         0.5 E[(r - 1)^2] + 0.5 E[f^2]              0.5 E[(f - 1)^2]
====================  =========================================  ====================

with r, f the scores of real and generated images. The log-sigmoid terms use softplus:
-log sigmoid(s) = softplus(-s) and -log(1 - sigmoid(s)) = softplus(s), finite for any score.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import torch.nn.functional as F
from torch import Tensor

from latentforge.registry import Registry

DiscriminatorLoss = Callable[[Tensor, Tensor], Tensor]
GeneratorLoss = Callable[[Tensor], Tensor]


@dataclasses.dataclass(frozen=True)
class AdversarialLoss:
    """The two halves of a GAN objective and the critic constraint it relies on.

    Attributes:
        discriminator_loss: ``(real_scores, fake_scores) -> scalar`` minimised by D.
        generator_loss: ``fake_scores -> scalar`` minimised by G.
        needs_gradient_penalty: add :func:`~latentforge.losses.lipschitz.gradient_penalty`
            to the critic loss (WGAN-GP).
        needs_weight_clipping: apply :func:`~latentforge.losses.lipschitz.weight_clipping_`
            to the critic after each of its optimiser steps (the original WGAN).
        scores_are_logits: the loss reads a score s as the probability D(x) = sigmoid(s)
            that the image is real (minimax, non-saturating); monitors report sigmoid(s).
        decision_threshold: the score above which the discriminator calls an image real
            (0 for logits and hinge, 0.5 for least squares); ``None`` for a Wasserstein
            critic, whose scores have no fixed origin.
    """

    discriminator_loss: DiscriminatorLoss
    generator_loss: GeneratorLoss
    needs_gradient_penalty: bool = False
    needs_weight_clipping: bool = False
    scores_are_logits: bool = False
    decision_threshold: float | None = 0.0


def bce_discriminator_loss(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    r"""Discriminator loss of the original GAN (Goodfellow et al. 2014,
    https://arxiv.org/abs/1406.2661): the binary cross-entropy of "real" vs "fake".

    D maximises E[log D(x)] + E[log(1 - D(G(z)))], so it minimises

    .. math::  L_D = -\mathbb{E}_r[\log\sigma(r)] - \mathbb{E}_f[\log(1 - \sigma(f))]
               = \mathbb{E}_r[\mathrm{softplus}(-r)] + \mathbb{E}_f[\mathrm{softplus}(f)].

    Used by ``"minimax"`` and ``"non-saturating"``.
    """
    return F.softplus(-real_scores).mean() + F.softplus(fake_scores).mean()


def minimax_generator_loss(fake_scores: Tensor) -> Tensor:
    r"""The saturating generator loss of the original min-max game (Goodfellow et al. 2014,
    https://arxiv.org/abs/1406.2661):

    .. math::  L_G = \mathbb{E}_f[\log(1 - \sigma(f))] = -\mathbb{E}_f[\mathrm{softplus}(f)].

    Its gradient dL_G/df = -sigmoid(f) / n vanishes as f -> -inf, i.e. exactly when D
    confidently rejects the fakes, early in training: the reason for the non-saturating form.
    Registry name ``"minimax"``.
    """
    return -F.softplus(fake_scores).mean()


def non_saturating_generator_loss(fake_scores: Tensor) -> Tensor:
    r"""The non-saturating generator loss (Goodfellow et al. 2014,
    https://arxiv.org/abs/1406.2661, section 3): G maximises log D(G(z)) instead.

    .. math::  L_G = -\mathbb{E}_f[\log\sigma(f)] = \mathbb{E}_f[\mathrm{softplus}(-f)].

    Its gradient dL_G/df = -(1 - sigmoid(f)) / n tends to -1/n as f -> -inf, so a generator
    whose samples are rejected still learns. Registry name ``"non-saturating"``.
    """
    return F.softplus(-fake_scores).mean()


def wasserstein_critic_loss(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    r"""Critic loss of the Wasserstein GAN (Arjovsky et al. 2017,
    https://arxiv.org/abs/1701.07875): the critic maximises E[r] - E[f], an estimate of the
    Wasserstein-1 distance when the critic is 1-Lipschitz, so it minimises

    .. math::  L_D = \mathbb{E}_f[f] - \mathbb{E}_r[r].

    The Lipschitz constraint comes from weight clipping (``"wasserstein"``) or the gradient
    penalty of Gulrajani et al. 2017, https://arxiv.org/abs/1704.00028 (``"wasserstein-gp"``).
    """
    return fake_scores.mean() - real_scores.mean()


def wasserstein_generator_loss(fake_scores: Tensor) -> Tensor:
    r"""Generator loss of the Wasserstein GAN (Arjovsky et al. 2017,
    https://arxiv.org/abs/1701.07875) and of the hinge GAN (Lim & Ye 2017,
    https://arxiv.org/abs/1705.02894):

    .. math::  L_G = -\mathbb{E}_f[f].
    """
    return -fake_scores.mean()


DRIFT_WEIGHT = 1e-3


def wasserstein_drift_critic_loss(
    real_scores: Tensor, fake_scores: Tensor, drift: float = DRIFT_WEIGHT
) -> Tensor:
    r"""The Wasserstein critic loss with the progressive GAN's drift term (Karras et al. 2018,
    https://arxiv.org/abs/1710.10196, appendix A.1), which keeps the critic's scores near 0
    (the Wasserstein loss sees only differences of scores, so they can drift far away):

    .. math::  L_D = \mathbb{E}_f[f] - \mathbb{E}_r[r] + \epsilon_\text{drift}\,\mathbb{E}_r[r^2],
               \quad \epsilon_\text{drift} = 0.001.

    Registry name ``"wasserstein-gp-drift"``, with the gradient penalty added by the model.
    """
    return wasserstein_critic_loss(real_scores, fake_scores) + drift * real_scores.square().mean()


def hinge_discriminator_loss(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    r"""Hinge discriminator loss (Lim & Ye 2017, https://arxiv.org/abs/1705.02894; Miyato et
    al. 2018, https://arxiv.org/abs/1802.05957): a margin of 1 on each side,

    .. math::  L_D = \mathbb{E}_r[\max(0, 1 - r)] + \mathbb{E}_f[\max(0, 1 + f)].

    Registry name ``"hinge"`` (generator loss: :func:`wasserstein_generator_loss`).
    """
    return F.relu(1.0 - real_scores).mean() + F.relu(1.0 + fake_scores).mean()


def least_squares_discriminator_loss(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    r"""Least-squares discriminator loss (Mao et al. 2017, https://arxiv.org/abs/1611.04076)
    with the target labels a = 0 for fakes and b = 1 for reals:

    .. math::  L_D = \tfrac12\mathbb{E}_r[(r - 1)^2] + \tfrac12\mathbb{E}_f[f^2].

    Registry name ``"least-squares"``.
    """
    return 0.5 * (real_scores - 1.0).square().mean() + 0.5 * fake_scores.square().mean()


def least_squares_generator_loss(fake_scores: Tensor) -> Tensor:
    r"""Least-squares generator loss (Mao et al. 2017, https://arxiv.org/abs/1611.04076)
    with the target c = 1 that G wants D to give its fakes:

    .. math::  L_G = \tfrac12\mathbb{E}_f[(f - 1)^2].
    """
    return 0.5 * (fake_scores - 1.0).square().mean()


ADVERSARIAL_LOSSES: Registry[AdversarialLoss] = Registry("adversarial loss")
ADVERSARIAL_LOSSES.add(
    "minimax",
    AdversarialLoss(bce_discriminator_loss, minimax_generator_loss, scores_are_logits=True),
)
ADVERSARIAL_LOSSES.add(
    "non-saturating",
    AdversarialLoss(bce_discriminator_loss, non_saturating_generator_loss, scores_are_logits=True),
)
ADVERSARIAL_LOSSES.add(
    "wasserstein",
    AdversarialLoss(
        wasserstein_critic_loss,
        wasserstein_generator_loss,
        needs_weight_clipping=True,
        decision_threshold=None,
    ),
)
ADVERSARIAL_LOSSES.add(
    "wasserstein-gp",
    AdversarialLoss(
        wasserstein_critic_loss,
        wasserstein_generator_loss,
        needs_gradient_penalty=True,
        decision_threshold=None,
    ),
)
ADVERSARIAL_LOSSES.add(
    "wasserstein-gp-drift",
    AdversarialLoss(
        wasserstein_drift_critic_loss,
        wasserstein_generator_loss,
        needs_gradient_penalty=True,
        decision_threshold=None,
    ),
)
ADVERSARIAL_LOSSES.add(
    "hinge", AdversarialLoss(hinge_discriminator_loss, wasserstein_generator_loss)
)
ADVERSARIAL_LOSSES.add(
    "least-squares",
    AdversarialLoss(
        least_squares_discriminator_loss, least_squares_generator_loss, decision_threshold=0.5
    ),
)
