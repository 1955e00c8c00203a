r"""Uncovering bias: which images a model's latent space finds rare, which it finds common.

The method is the DB-VAE's (Amini et al., AIES 2019, https://doi.org/10.1145/3306618.3314243):
encode the images, fit one histogram per latent dimension to their means, and score each image
by the product-of-marginals estimate of its density, prod_i Q_i(z_i). Images in sparse regions
are the under-represented kinds (a rare pose, a rare style, a rare sub-class); the DB-VAE draws
them with probability proportional to prod_i 1 / (Q_i(z_i) + alpha)
(:mod:`latentforge.models.latent_histogram`).

The analysed *population* is the DB-VAE's positive class when the model has one and the images
have labels (its VAE models the positives only), otherwise every image. Any model with
``encode`` works (a plain VAE or autoencoder too); a DB-VAE adds its classifier's accuracy per
class. :func:`write_bias_report` turns an analysis into grids, plots, JSON and one HTML page.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from latentforge.data.base import ImageSet
from latentforge.data.batching import iterate_batches
from latentforge.errors import ConfigError, DataError
from latentforge.models.base import GenerativeModel
from latentforge.models.capabilities import Classifies, Encodes, require_capability
from latentforge.models.dbvae import DBVAEConfig, encode_batches
from latentforge.models.latent_histogram import (
    DEFAULT_ALPHA,
    LatentHistogram,
    check_histogram_options,
    resampling_probabilities,
)

DEFAULT_BINS = 10


@dataclass
class BiasAnalysis:
    """Codes, histograms and weights of an image set, index ``i`` = image ``i``.

    Attributes:
        codes: encoder means ``(N, D)``.
        labels: ``(N,)`` int64 or ``None``.
        logits: the classifier's logits ``(N,)`` (DB-VAE) or ``None``.
        population: ``(N,)`` bool, the images the histograms were fitted to.
        histogram: the per-dimension histograms of the population's codes.
        log_density: sum_i log Q_i(z_i) ``(N,)``.
        probabilities: the DB-VAE's resampling probabilities ``(N,)``, summing to 1.
        bins, alpha, combine: the options they were computed with.
        population_name: what the population is, in words.
    """

    codes: Tensor
    labels: Tensor | None
    logits: Tensor | None
    population: Tensor
    histogram: LatentHistogram
    log_density: Tensor
    probabilities: Tensor
    bins: int
    alpha: float
    combine: str
    population_name: str

    @property
    def weight_ratio(self) -> Tensor:
        """How many times more often than under uniform sampling each image is drawn."""
        return self.probabilities * len(self.probabilities)

    def _ranked(self) -> Tensor:
        members = torch.nonzero(self.population).flatten()
        order = torch.sort(self.log_density[members], stable=True).indices
        return members[order]  # population indices, rarest first

    def rarest(self, n: int) -> Tensor:
        """Indices of the ``n`` population images of lowest estimated density."""
        return self._ranked()[:n]

    def most_common(self, n: int) -> Tensor:
        """Indices of the ``n`` population images of highest estimated density, densest first."""
        return self._ranked().flip(0)[:n]


def _options(
    model: GenerativeModel, bins: int | None, alpha: float | None, combine: str | None
) -> tuple[int, float, str]:
    own = model.config if isinstance(model.config, DBVAEConfig) else None
    bins = (DEFAULT_BINS if own is None else own.bins) if bins is None else bins
    own_combine = "product" if own is None else own.combine
    combine = own_combine if combine is None else combine
    if alpha is None:
        own_alpha = None if own is None or combine != own_combine else own.alpha
        alpha = DEFAULT_ALPHA.get(combine, 1.0) if own_alpha is None else own_alpha
    check_histogram_options(bins, alpha, combine)
    return bins, float(alpha), combine


@torch.no_grad()
def analyse_bias(
    model: GenerativeModel,
    image_set: ImageSet,
    *,
    bins: int | None = None,
    alpha: float | None = None,
    combine: str | None = None,
    batch_size: int = 256,
) -> BiasAnalysis:
    """Encode ``image_set`` with ``model`` and fit the latent histograms and weights.

    ``bins``, ``alpha`` and ``combine`` default to the model's own (a DB-VAE's config),
    else 10, ``DEFAULT_ALPHA[combine]`` and ``"product"``; a ``combine`` other than the
    model's takes its own default alpha.
    """
    require_capability(
        model, Encodes, "has no encoder; the bias report needs a dbvae, vae or ae run"
    )
    bins, alpha, combine = _options(model, bins, alpha, combine)
    if batch_size < 1:
        raise ConfigError(f"--batch-size must be >= 1, got {batch_size}")
    if len(image_set) == 0:
        raise DataError("the image set is empty; there is nothing to analyse")
    batches = iterate_batches(
        image_set, batch_size, device=model.device, shuffle=False, drop_last=False, num_workers=0
    )
    encoded = encode_batches(model, batches)
    positive, name = None, "all images"
    if isinstance(model, Classifies) and encoded.labels is not None:
        positive = model.is_positive(encoded.labels)
        ids = ", ".join(map(str, model.config.positive_classes))
        name = f"positives (labels {ids})"
        if not positive.any():
            raise DataError(
                f"none of the images has a label in the model's positive classes ({ids}); "
                "give the data the model was trained on"
            )
    probabilities, histogram = resampling_probabilities(
        encoded.codes, positive, bins, alpha, combine
    )
    population = torch.ones(len(encoded.codes), dtype=torch.bool) if positive is None else positive
    return BiasAnalysis(
        codes=encoded.codes,
        labels=encoded.labels,
        logits=encoded.logits,
        population=population.cpu(),
        histogram=histogram,
        log_density=histogram.log_density(encoded.codes),
        probabilities=probabilities,
        bins=bins,
        alpha=alpha,
        combine=combine,
        population_name=name,
    )


def class_table(analysis: BiasAnalysis, class_names: list[str] | None = None) -> list[dict]:
    """Per label: how many images, their share of the population under uniform sampling and
    under resampling, their mean weight ratio and (with a classifier) their accuracy."""
    if analysis.labels is None:
        return []
    labels, population = analysis.labels, analysis.population
    in_population = population.sum().item()
    draws = analysis.probabilities[population].sum().item()
    rows = []
    for label in torch.unique(labels).tolist():
        members = labels == label
        inside = members & population
        row = {
            "label": int(label),
            "name": class_names[label] if class_names and 0 <= label < len(class_names) else "",
            "count": int(members.sum()),
            "in_population": bool(inside.any()),
        }
        if inside.any():
            row["uniform_share"] = inside.sum().item() / in_population
            row["resampled_share"] = analysis.probabilities[inside].sum().item() / draws
            row["mean_weight_ratio"] = analysis.weight_ratio[inside].mean().item()
        if analysis.logits is not None:
            predicted = analysis.logits[members] > 0
            row["accuracy"] = (predicted == population[members]).float().mean().item()
        rows.append(row)
    return rows


def region_rows(analysis: BiasAnalysis, per_side: int, max_dims: int = 10) -> list[dict]:
    """Per latent dimension, its rarest non-empty bin and its most common bin, with up to
    ``per_side`` population images from each; dimensions with the rarest such bin first."""
    fractions = analysis.histogram.fractions  # (D, bins)
    members = torch.nonzero(analysis.population).flatten()
    bin_of = analysis.histogram.bin_index(analysis.codes[members])  # (N_pop, D)
    rows = []
    for dim in range(fractions.shape[0]):
        shares = fractions[dim]
        rare = int(torch.where(shares > 0, shares, torch.inf).argmin())
        common = int(shares.argmax())
        edges = analysis.histogram.edges[dim]
        rows.append(
            {
                "dim": dim,
                "rare_bin": [edges[rare].item(), edges[rare + 1].item()],
                "rare_share": shares[rare].item(),
                "rare_images": members[bin_of[:, dim] == rare][:per_side].tolist(),
                "common_bin": [edges[common].item(), edges[common + 1].item()],
                "common_share": shares[common].item(),
                "common_images": members[bin_of[:, dim] == common][:per_side].tolist(),
            }
        )
    rows.sort(key=lambda row: (row["rare_share"], row["dim"]))
    return rows[:max_dims]


def bias_summary(analysis: BiasAnalysis, class_names: list[str] | None = None, n: int = 32) -> dict:
    """Everything of the analysis that fits in JSON (no images)."""
    ratio = analysis.weight_ratio[analysis.population]
    probabilities = analysis.probabilities[analysis.population]
    probabilities = probabilities / probabilities.sum()

    def describe(indices: Tensor) -> list[dict]:
        return [
            {
                "index": int(i),
                "label": None if analysis.labels is None else int(analysis.labels[i]),
                "log_density": analysis.log_density[i].item(),
                "weight_ratio": analysis.weight_ratio[i].item(),
            }
            for i in indices
        ]

    return {
        "images": len(analysis.codes),
        "population": analysis.population_name,
        "population_size": int(analysis.population.sum()),
        "latent_dim": int(analysis.codes.shape[1]),
        "bins": analysis.bins,
        "alpha": analysis.alpha,
        "combine": analysis.combine,
        "effective_sample_size": (1.0 / probabilities.square().sum()).item(),
        "weight_ratio": {
            "min": ratio.min().item(),
            "median": ratio.median().item(),
            "max": ratio.max().item(),
        },
        "classes": class_table(analysis, class_names),
        "rarest": describe(analysis.rarest(n)),
        "most_common": describe(analysis.most_common(n)),
        "dimensions": region_rows(analysis, per_side=8, max_dims=analysis.codes.shape[1]),
    }
