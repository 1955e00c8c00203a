"""What ``latentforge evaluate --metrics`` can measure, by name, and which models each applies to.

=========  ================================================  ==================================
name       numbers                                           needs
=========  ================================================  ==================================
``fid``    ``fid`` (Frechet distance of the features)        ``sample``
``kid``    ``kid_mean``, ``kid_std``                         ``sample``
``prdc``   ``precision``, ``recall``, ``density``,           ``sample``
           ``coverage``
``modes``  ``mode_coverage``, ``classes_covered``,           ``sample`` and a classifier
           ``kl_fake_real``, ``kl_real_fake``                extractor
``nll``    ``nelbo_nats``, ``nll_nats``, ``nelbo_bpd``,      ``encode_distribution`` (q(z|x))
           ``nll_bpd``                                       and ``log_likelihood`` (p(x|z))
``recon``  ``recon_mse``, ``recon_psnr``, ``recon_ssim``     ``reconstruct``
``paired`` ``paired_l1``, ``paired_psnr``, ``paired_ssim``  ``paired_outputs`` with matching
           (outputs against their true targets)              targets (pix2pix, srgan,
                                                             inpainting)
=========  ================================================  ==================================

Conditional models (image-to-image: ``pix2pix``, ``cyclegan``, ``srgan``, ``inpainting``) have
``paired_outputs(images) -> (outputs, targets)``. For them the feature metrics compare the
outputs on the evaluation split's inputs with the true targets of the same split (for
CycleGAN, the target domain's images), not samples with the data images.

:class:`EvaluationConfig` says which metrics to compute and on how many images. A metric a
model cannot support is skipped with a note saying why, never guessed. The formulas
are in :mod:`latentforge.metrics` and ``docs/concepts/metrics.md``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import torch
from torch import Tensor
from tqdm import tqdm

from latentforge.config import Config, require
from latentforge.errors import ConfigError
from latentforge.metrics.feature_metrics import METRICS
from latentforge.metrics.features.base import FeatureExtractor, FeatureSet
from latentforge.metrics.features.cache import RealFeatures
from latentforge.metrics.frechet import FeatureStats, frechet_distance
from latentforge.metrics.image_quality import per_image_mse, per_image_psnr, per_image_ssim
from latentforge.metrics.likelihood import bits_per_dim, importance_weighted_nll, negative_elbo
from latentforge.models.base import GenerativeModel
from latentforge.models.capabilities import GivesLikelihood, PairedOutputs, Reconstructs
from latentforge.registry import Registry

# Pseudo-count added to every class before the class-frequency KLs (Jeffreys' 1/2): a class
# missing from a finite sample gives a large finite KL instead of +inf, so the numbers can be
# tabulated, plotted and compared. mode_coverage and classes_covered count raw predictions.
MODES_SMOOTHING = 0.5

# Results where larger is better; everything else (distances, NLL, MSE, KL) is lower-is-better.
HIGHER_IS_BETTER = frozenset(
    {
        "precision",
        "recall",
        "density",
        "coverage",
        "mode_coverage",
        "classes_covered",
        "recon_psnr",
        "recon_ssim",
        "paired_psnr",
        "paired_ssim",
    }
)


ALL_METRICS = ("fid", "kid", "prdc", "modes", "nll", "recon", "paired")


def parse_metric_names(text: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """``"fid, kid"`` -> ``("fid", "kid")``; unknown names are an error listing the known ones."""
    names = text.split(",") if isinstance(text, str) else list(text)
    names = [name.strip().lower() for name in names if name.strip()]
    if not names:
        raise ConfigError(f"--metrics is empty; choose from {','.join(EVALUATION_METRICS)}")
    unknown = [name for name in names if name not in EVALUATION_METRICS]
    if unknown:
        raise ConfigError(
            f"unknown metric {', '.join(map(repr, unknown))} in --metrics; choose from "
            f"{','.join(EVALUATION_METRICS.names())}"
        )
    return tuple(dict.fromkeys(names))  # keep order, drop repeats


@dataclasses.dataclass
class EvaluationConfig(Config):
    """What to measure and how many samples to use."""

    metrics: tuple[str, ...] = ALL_METRICS
    n: int = 10_000  # generated samples; real images: up to n from the split
    features: str = "classifier"
    batch_size: int = 500
    seed: int = 0
    kid_subsets: int = 100
    kid_subset_size: int = 1000
    nll_k: int = 100  # importance samples per image (Burda et al. used 5000)
    nll_images: int = 1000
    cache: bool = True

    def __post_init__(self) -> None:
        self.metrics = parse_metric_names(self.metrics)
        for name in ("n", "batch_size", "kid_subsets", "nll_k", "nll_images"):
            require(getattr(self, name) >= 1, f"--{name.replace('_', '-')} must be >= 1")
        require(self.n >= 2, f"-n must be at least 2, got {self.n}")
        require(self.kid_subset_size >= 2, "--kid-subset-size must be >= 2")


@dataclass
class EvaluationInputs:
    """Everything a metric may use; fields a metric does not need may be None."""

    model: GenerativeModel
    config: EvaluationConfig
    device: torch.device
    real_batches: Callable[[int, int], Iterator[Tensor]]  # (count, batch) -> real images
    num_real: int
    extractor: FeatureExtractor | None = None
    real: RealFeatures | None = None
    fake: FeatureSet | None = None
    pairs: tuple[Tensor, Tensor] | None = None  # conditional models: (outputs, targets)
    progress: bool = False
    notes: list[str] = field(default_factory=list)

    def batches(self, count: int, batch: int, desc: str) -> Iterator[Tensor]:
        """``count`` real images, ``batch`` at a time, with a progress bar when asked for."""
        return tqdm(
            self.real_batches(count, batch),
            total=-(-count // batch),
            desc=desc,
            unit="batch",
            leave=False,
            disable=not self.progress,
        )


Requirement = Callable[[GenerativeModel, FeatureExtractor | None], str | None]


@dataclass(frozen=True)
class EvaluationMetric:
    """A named measurement: ``compute(inputs) -> {name: number}``.

    ``uses_samples``: it compares generated samples with real ones in feature space.
    ``uses_pairs``: it compares a conditional model's outputs with their targets.
    ``unavailable(model, extractor)``: why it does not apply, or None when it does.
    ``outputs``: the names of the numbers it returns; ``primary``: the one ``--keep-best NAME``
    means for this metric.
    """

    name: str
    compute: Callable[[EvaluationInputs], dict[str, float]]
    outputs: tuple[str, ...]
    primary: str
    uses_samples: bool = False
    unavailable: Requirement = lambda model, extractor: None
    uses_pairs: bool = False


EVALUATION_METRICS: Registry[EvaluationMetric] = Registry("evaluation metric")


def _register(metric: EvaluationMetric) -> None:
    EVALUATION_METRICS.add(metric.name, metric)


def _features(inputs: EvaluationInputs) -> tuple[RealFeatures, FeatureSet]:
    assert inputs.real is not None and inputs.fake is not None
    return inputs.real, inputs.fake


def _fid(inputs: EvaluationInputs) -> dict[str, float]:
    real, fake = _features(inputs)
    return {"fid": frechet_distance(real.stats, FeatureStats.from_features(fake.features))}


def _kid(inputs: EvaluationInputs) -> dict[str, float]:
    real, fake = _features(inputs)
    config = inputs.config
    return METRICS.get("kid")(
        real.features.features,
        fake.features,
        n_subsets=config.kid_subsets,
        subset_size=config.kid_subset_size,
        seed=config.seed,
    )


def _prdc(inputs: EvaluationInputs) -> dict[str, float]:
    real, fake = _features(inputs)
    return METRICS.get("prdc")(real.features.features, fake.features, device=inputs.device)


def _modes(inputs: EvaluationInputs) -> dict[str, float]:
    real, fake = _features(inputs)
    assert inputs.extractor is not None
    return METRICS.get("modes")(
        real.features.logits,
        fake.logits,
        num_classes=inputs.extractor.num_classes,
        smoothing=MODES_SMOOTHING,
    )


def _needs_classifier(model: GenerativeModel, extractor: FeatureExtractor | None) -> str | None:
    if extractor is not None and not extractor.is_classifier:
        return (
            f"mode coverage needs a classifier of the data's classes; the {extractor.name} "
            "extractor is not one (use --features classifier or a fitted classifier)"
        )
    return None


def _log_likelihood_fn(model: GenerativeModel) -> Callable[[Tensor, Tensor], Tensor]:
    """log p(x | z) for particles z (N, K, L) -> (N, K), through ``model.log_likelihood``."""

    def log_likelihood(x: Tensor, z: Tensor) -> Tensor:
        n, k = z.shape[:2]
        images = x.unsqueeze(1).expand(n, k, *x.shape[1:]).reshape(n * k, *x.shape[1:])
        return model.log_likelihood(images, z.reshape(n * k, *z.shape[2:])).reshape(n, k)

    return log_likelihood


def _nll(inputs: EvaluationInputs) -> dict[str, float]:
    model, config = inputs.model, inputs.config
    count = min(config.nll_images, inputs.num_real)
    batch_k = min(config.nll_k, 50)
    batch = max(1, 2500 // batch_k)  # images per step: batch * batch_k decoder passes at once
    generator = torch.Generator(device=inputs.device).manual_seed(config.seed)
    log_likelihood = _log_likelihood_fn(model)
    nelbo_sum = nll_sum = 0.0
    for images in inputs.batches(count, batch, f"nll (k = {config.nll_k})"):
        x = images.to(inputs.device)
        encode = model.encode_distribution
        nelbo_sum += negative_elbo(x, encode, log_likelihood, generator=generator).sum().item()
        nll_sum += (
            importance_weighted_nll(
                x, encode, log_likelihood, k=config.nll_k, batch_k=batch_k, generator=generator
            )
            .sum()
            .item()
        )
    dims = model.config.in_channels * model.config.image_size[0] * model.config.image_size[1]
    nelbo, nll = nelbo_sum / count, nll_sum / count
    inputs.notes.append(f"nll: importance-weighted with k = {config.nll_k} on {count} images")
    return {
        "nelbo_nats": nelbo,
        "nll_nats": nll,
        "nelbo_bpd": float(bits_per_dim(nelbo, dims)),
        "nll_bpd": float(bits_per_dim(nll, dims)),
    }


def _needs_likelihood(model: GenerativeModel, extractor: FeatureExtractor | None) -> str | None:
    if not isinstance(model, GivesLikelihood):
        return (
            f"the {model.model_type} model has no encoder distribution q(z|x) and decoder "
            "likelihood p(x|z), so its likelihood cannot be estimated (a VAE has both)"
        )
    return None


@torch.no_grad()
def _recon(inputs: EvaluationInputs) -> dict[str, float]:
    sums = torch.zeros(3, dtype=torch.float64)
    count = 0
    for images in inputs.batches(inputs.num_real, inputs.config.batch_size, "reconstructions"):
        x = images.to(inputs.device)
        recon = inputs.model.reconstruct(x).clamp(0.0, 1.0)
        per_image = (per_image_mse(recon, x), per_image_psnr(recon, x), per_image_ssim(recon, x))
        sums += torch.stack([v.double().sum().cpu() for v in per_image])
        count += x.shape[0]
    mse, psnr, ssim = (sums / count).tolist()
    return {"recon_mse": mse, "recon_psnr": psnr, "recon_ssim": ssim}


def _needs_reconstruct(model: GenerativeModel, extractor: FeatureExtractor | None) -> str | None:
    if not isinstance(model, Reconstructs):
        return f"the {model.model_type} model does not reconstruct images (no encoder)"
    return None


def is_conditional(model: GenerativeModel) -> bool:
    """Does ``model`` map given images to outputs with targets (``paired_outputs``)?"""
    return isinstance(model, PairedOutputs)


@torch.no_grad()
def _paired(inputs: EvaluationInputs) -> dict[str, float]:
    assert inputs.pairs is not None
    outputs, targets = inputs.pairs
    sums = torch.zeros(3, dtype=torch.float64)
    for start in range(0, outputs.shape[0], inputs.config.batch_size):
        out = outputs[start : start + inputs.config.batch_size].to(inputs.device)
        target = targets[start : start + inputs.config.batch_size].to(inputs.device)
        l1 = (out - target).abs().flatten(1).mean(1)
        per_image = (l1, per_image_psnr(out, target), per_image_ssim(out, target))
        sums += torch.stack([v.double().sum().cpu() for v in per_image])
    l1, psnr, ssim = (sums / outputs.shape[0]).tolist()
    return {"paired_l1": l1, "paired_psnr": psnr, "paired_ssim": ssim}


def _needs_paired_targets(model: GenerativeModel, extractor: FeatureExtractor | None) -> str | None:
    if not is_conditional(model):
        return f"the {model.model_type} model does not map given inputs to targets"
    if not (isinstance(model, PairedOutputs) and model.has_paired_targets):
        return (
            f"the {model.model_type} model trains on unpaired data: its outputs have no true "
            "targets to compare with (fid, kid and prdc compare them with the target domain)"
        )
    return None


_MODES = ("mode_coverage", "classes_covered", "num_classes", "kl_fake_real", "kl_real_fake")
for _metric in (
    EvaluationMetric("fid", _fid, ("fid",), "fid", uses_samples=True),
    EvaluationMetric("kid", _kid, ("kid_mean", "kid_std"), "kid_mean", uses_samples=True),
    EvaluationMetric(
        "prdc", _prdc, ("precision", "recall", "density", "coverage"), "coverage", True
    ),
    EvaluationMetric("modes", _modes, _MODES, "mode_coverage", True, _needs_classifier),
    EvaluationMetric(
        "nll",
        _nll,
        ("nelbo_nats", "nll_nats", "nelbo_bpd", "nll_bpd"),
        "nll_nats",
        unavailable=_needs_likelihood,
    ),
    EvaluationMetric(
        "recon",
        _recon,
        ("recon_mse", "recon_psnr", "recon_ssim"),
        "recon_mse",
        unavailable=_needs_reconstruct,
    ),
    EvaluationMetric(
        "paired",
        _paired,
        ("paired_l1", "paired_psnr", "paired_ssim"),
        "paired_l1",
        unavailable=_needs_paired_targets,
        uses_pairs=True,
    ),
):
    _register(_metric)
