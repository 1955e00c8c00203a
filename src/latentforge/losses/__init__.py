"""Loss functions as plain functions: reconstruction, KL divergences, GAN losses.

Nothing here knows about training. Translation terms (L1, cycle, identity) are in
``losses/translation.py``. The math and the papers are in each docstring and in
``docs/concepts/losses.md``. Models pick losses by name::

    recon = RECONSTRUCTION_LOSSES.get("bce")(decoder_logits, images)   # scalar
    kl = kl_standard_normal(mu, logvar).mean()                          # (N,) -> scalar
    gan = ADVERSARIAL_LOSSES.get("wasserstein-gp")
    d_loss = gan.discriminator_loss(critic(real), critic(fake))
    if gan.needs_gradient_penalty:
        d_loss = d_loss + gradient_penalty(critic, real, fake, generator=generator)
"""

from latentforge.losses.adversarial import (
    ADVERSARIAL_LOSSES,
    AdversarialLoss,
    bce_discriminator_loss,
    hinge_discriminator_loss,
    least_squares_discriminator_loss,
    least_squares_generator_loss,
    minimax_generator_loss,
    non_saturating_generator_loss,
    wasserstein_critic_loss,
    wasserstein_drift_critic_loss,
    wasserstein_generator_loss,
)
from latentforge.losses.divergence import (
    KLEstimate,
    kl_diag_gaussians,
    kl_discrete,
    kl_discrete_logits,
    kl_monte_carlo,
    kl_standard_normal,
    sample_with_generator,
)
from latentforge.losses.lipschitz import gradient_penalty, weight_clipping_
from latentforge.losses.reconstruction import (
    DECODER_NLL,
    RECONSTRUCTION_LOSSES,
    bce_per_sample_with_logits,
    bce_sum_with_logits,
    gaussian_nll_sum,
    mse_per_sample,
    mse_sum,
)
from latentforge.losses.translation import cycle_consistency_loss, identity_loss, l1_loss

__all__ = [
    "ADVERSARIAL_LOSSES",
    "DECODER_NLL",
    "RECONSTRUCTION_LOSSES",
    "AdversarialLoss",
    "KLEstimate",
    "bce_discriminator_loss",
    "bce_per_sample_with_logits",
    "bce_sum_with_logits",
    "cycle_consistency_loss",
    "gaussian_nll_sum",
    "gradient_penalty",
    "hinge_discriminator_loss",
    "identity_loss",
    "kl_diag_gaussians",
    "kl_discrete",
    "kl_discrete_logits",
    "kl_monte_carlo",
    "kl_standard_normal",
    "l1_loss",
    "least_squares_discriminator_loss",
    "least_squares_generator_loss",
    "minimax_generator_loss",
    "mse_per_sample",
    "mse_sum",
    "non_saturating_generator_loss",
    "sample_with_generator",
    "wasserstein_critic_loss",
    "wasserstein_drift_critic_loss",
    "wasserstein_generator_loss",
    "weight_clipping_",
]
