r"""Debiasing VAE (DB-VAE; Amini, Soleimany, Schwarting, Bhatia & Rus, "Uncovering and
Mitigating Algorithmic Bias through Learned Latent Structure", AIES 2019,
https://doi.org/10.1145/3306618.3314243).

A binary classifier whose encoder is also a VAE encoder: for an image x it outputs a class
logit c(x) and a Gaussian q(z|x) = N(mu, diag(exp(logvar))). The decoder reconstructs the
*positive* images only, so the latent space learns the variety within the positive class.
With y = 1 for an image whose label is in ``positive_classes`` and 0 otherwise,

.. math::  L = \frac1N \sum_n \Big[ \mathrm{BCE}(c_n, y_n)
           + y_n \big( -\log p(x_n \mid z_n) + \beta\, \mathrm{KL}(q(z|x_n) \,\|\, N(0, I)) \big)
           \Big],

the reconstruction term summed over pixels (``reconstruction``: bce or mse) and z_n drawn
with the reparameterization trick. After each epoch the training set is encoded, one
histogram per latent dimension is fitted to the positives' means, and the next epoch is
drawn with probabilities proportional to prod_i 1 / (Q_i(z_i) + alpha) among the positives
(or, with ``combine="max"``, to the largest per-dimension normalised 1 / (Q_i + alpha);
:mod:`latentforge.models.latent_histogram`): images from rare latent regions come more often.
The negatives keep uniform draws and the positives their share of them.

    latentforge train dbvae --data fashion-mnist --positive-classes 5,7,9 --combine max
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor

from latentforge.config import require
from latentforge.errors import DataError
from latentforge.losses.divergence import kl_standard_normal
from latentforge.models.base import MODELS
from latentforge.models.capabilities import Classifies, Encodes
from latentforge.models.latent_histogram import (
    DEFAULT_ALPHA,
    check_histogram_options,
    resampling_probabilities,
)
from latentforge.models.vae import VAE, VAEConfig
from latentforge.nn.gaussian import reparameterize, split_mean_logvar
from latentforge.steps.phases import Batch, LossOutput


@dataclasses.dataclass
class DBVAEConfig(VAEConfig):
    positive_classes: tuple[int, ...] = ()
    alpha: float | None = None  # None: DEFAULT_ALPHA[combine]
    bins: int = 10
    combine: str = "product"
    debias: bool = True

    option_help: ClassVar[dict[str, str]] = {
        **VAEConfig.option_help,
        "positive_classes": "label ids of the positive class, e.g. 5,7,9 (required)",
        "alpha": "resampling smoothing in 1/(Q_i(z_i) + alpha), larger = flatter "
        "(default: 1 with --combine product, 0.01 with max)",
        "bins": "histogram bins per latent dimension for the resampling weights",
        "combine": "product (the paper's prod_i) or max (largest per-dimension weight)",
        "debias": "resample each epoch by latent rarity (--no-debias: uniform epochs)",
    }

    def __post_init__(self) -> None:
        super().__post_init__()
        require(
            len(self.positive_classes) >= 1,
            "--positive-classes is required: the label ids that make the positive class "
            "(e.g. --positive-classes 5,7,9)",
        )
        require(
            all(isinstance(c, int) and c >= 0 for c in self.positive_classes)
            and len(set(self.positive_classes)) == len(self.positive_classes),
            f"--positive-classes must be distinct label ids >= 0, got {self.positive_classes}",
        )
        if self.alpha is None and self.combine in DEFAULT_ALPHA:
            self.alpha = DEFAULT_ALPHA[self.combine]
        check_histogram_options(self.bins, self.alpha, self.combine)


@dataclasses.dataclass
class EncodedSet:
    """Encoder outputs for a whole image set, in order: means ``(N, D)``, class logits
    ``(N,)`` (models with a classifier, else ``None``), labels ``(N,)`` (or ``None``)."""

    codes: Tensor
    logits: Tensor | None
    labels: Tensor | None


@torch.no_grad()
def encode_batches(model: Encodes, batches: Iterable[Batch]) -> EncodedSet:
    """Encode every batch with ``model`` in eval mode (its training mode is restored).

    Uses ``model.encode_with_logits`` when the model classifies too (the DB-VAE), else
    ``model.encode``. Results are float32 on the CPU.
    """
    was_training = model.training
    model.eval()
    codes, logits, labels = [], [], []
    classifies = isinstance(model, Classifies)
    for batch in batches:
        if classifies:
            mu, logit = model.encode_with_logits(batch["images"])
            logits.append(logit.float().cpu())
        else:
            mu = model.encode(batch["images"])
        codes.append(mu.float().cpu())
        if "labels" in batch:
            labels.append(batch["labels"].cpu())
    model.train(was_training)
    if not codes:
        raise DataError("no images to encode: the image set is empty")
    return EncodedSet(
        torch.cat(codes),
        torch.cat(logits) if logits else None,
        torch.cat(labels) if len(labels) == len(codes) else None,
    )


@MODELS.register("dbvae")
class DBVAE(VAE, Classifies):
    """Debiasing VAE: a classifier trained on data resampled by latent rarity."""

    config_class = DBVAEConfig
    config: DBVAEConfig

    def __init__(self, config: DBVAEConfig, encoder=None, decoder=None) -> None:
        super().__init__(config, encoder, decoder)
        self._sampling_weights: Tensor | None = None

    @property
    def encoder_outputs(self) -> int:
        return 1 + 2 * self.config.latent_dim  # class logit, mean, log-variance

    def encode_all(self, images: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Class logit ``(N,)``, mean and log-variance ``(N, latent_dim)`` for images in [0, 1]."""
        features = self.encoder_features(images)  # (N, 1 + 2D)
        mu, logvar = split_mean_logvar(features[:, 1:])
        return features[:, 0], mu, logvar

    def encode_distribution(self, images: Tensor) -> tuple[Tensor, Tensor]:
        _, mu, logvar = self.encode_all(images)
        return mu, logvar

    def encode_with_logits(self, images: Tensor) -> tuple[Tensor, Tensor]:
        """Posterior mean ``(N, latent_dim)`` and class logit ``(N,)``."""
        logit, mu, _ = self.encode_all(images)
        return mu, logit

    def classify(self, images: Tensor) -> Tensor:
        """Class logits ``(N,)``: sigmoid(logit) is the probability of the positive class."""
        return self.encode_all(images)[0]

    def is_positive(self, labels: Tensor) -> Tensor:
        """Boolean ``(N,)``: which labels are among ``positive_classes``."""
        ids = torch.tensor(self.config.positive_classes, device=labels.device)
        return torch.isin(labels, ids)

    def _missing_labels(self) -> DataError:
        return DataError(
            "dbvae needs labelled images (its target is whether the label is in "
            f"--positive-classes {','.join(map(str, self.config.positive_classes))}), but "
            "the data has no labels; use a labelled dataset (sample, fashion-mnist, an "
            ".npz with y or y_train, an image folder with one sub-folder per class)"
        )

    def _target(self, batch: Batch) -> Tensor:
        if "labels" not in batch:
            raise self._missing_labels()
        return self.is_positive(batch["labels"]).float()

    def batch_loss(self, batch: Batch) -> LossOutput:
        return self.loss(batch["images"], batch.get("inputs"), target=self._target(batch))

    def loss(
        self, images: Tensor, inputs: Tensor | None = None, target: Tensor | None = None
    ) -> LossOutput:
        """The DB-VAE loss (module docstring) for ``images`` with binary ``target`` ``(N,)``."""
        if target is None:
            raise DataError("the dbvae loss needs the binary target of each image (labels)")
        logit, mu, logvar = self.encode_all(images if inputs is None else inputs)
        classification = F.binary_cross_entropy_with_logits(logit, target)
        positive = target > 0.5
        n_positive = int(positive.sum())
        keep = positive
        if n_positive == 0:
            # No positive image: the VAE term is 0, but one image still goes through the
            # decoder (with weight 0) so every parameter gets a gradient, as processes that
            # average gradients need.
            keep = torch.zeros_like(positive)
            keep[0] = True
        share = n_positive / target.shape[0]
        z = reparameterize(mu[keep], logvar[keep])
        # The reconstruction losses average over the kept images; times N_pos / N they are
        # (1 / N) sum_n y_n * (per-image value).
        recon = self.reconstruction_loss(self.decode_logits(z), images[keep]) * share
        kl = kl_standard_normal(mu[keep], logvar[keep]).mean() * share
        loss = classification + recon + self.config.beta * kl
        accuracy = ((logit > 0) == positive).float().mean()
        logs = {
            "classification": classification.detach(),
            "recon": recon.detach(),
            "kl": kl.detach(),
            "accuracy": accuracy.detach(),
        }
        return LossOutput(loss, logs)

    @torch.no_grad()
    def visualize(self, batch: Batch, generator: torch.Generator) -> dict[str, Tensor]:
        """Samples, and reconstructions of the positives (the decoder only learns those)."""
        if "labels" in batch:
            positive = self.is_positive(batch["labels"])
            if positive.any():
                batch = {key: value[positive] for key, value in batch.items()}
        return super().visualize(batch, generator)

    def after_epoch(self, train_batches: Callable[[], Iterator[Batch]]) -> None:
        """Refit the latent histograms and the next epoch's sampling weights."""
        if not self.config.debias:
            return
        encoded = encode_batches(self, train_batches())
        if encoded.labels is None:
            raise self._missing_labels()
        positive = self.is_positive(encoded.labels)
        if not positive.any():
            raise DataError(
                "none of the training images has a label in --positive-classes "
                f"{','.join(map(str, self.config.positive_classes))}; choose label ids that "
                "the data has"
            )
        self._sampling_weights, _ = resampling_probabilities(
            encoded.codes, positive, self.config.bins, self.config.alpha, self.config.combine
        )

    def sampling_weights(self) -> Tensor | None:
        return self._sampling_weights
