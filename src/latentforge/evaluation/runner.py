"""The evaluator: generated samples against real images, for any :class:`GenerativeModel`.

Only the generative interface is used: ``sample(n, generator)`` for the feature metrics,
``reconstruct`` for ``recon``, ``encode_distribution`` + ``log_likelihood`` for ``nll``; a metric
a model cannot support is skipped with a note. Conditional models (``paired_outputs``) are
scored on their outputs for the split's inputs against the split's targets. Real features are
computed once (and cached on disk per dataset, split and extractor); the evaluator can then
score many models or many epochs.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import torch
from torch import Tensor

from latentforge.data.base import ImageSet
from latentforge.errors import DataError, ShapeError
from latentforge.evaluation.feature_extractors import load_feature_extractor
from latentforge.evaluation.metrics import (
    EVALUATION_METRICS,
    EvaluationConfig,
    EvaluationInputs,
    EvaluationMetric,
    is_conditional,
)
from latentforge.evaluation.results import EvaluationResult
from latentforge.metrics.features.base import FeatureExtractor, FeatureSet
from latentforge.metrics.features.cache import RealFeatureCache, RealFeatures, image_batches
from latentforge.metrics.frechet import FeatureStats
from latentforge.models.base import GenerativeModel
from latentforge.models.capabilities import PairedOutputs

REAL_SUBSET_SEED = 0  # the real subset depends on the data only, so its cache is shared


def real_subset(size: int, count: int) -> torch.Tensor:
    """``count`` indices of ``range(size)``: all of them, or a fixed random subset, sorted."""
    if count >= size:
        return torch.arange(size)
    generator = torch.Generator().manual_seed(REAL_SUBSET_SEED)
    return torch.randperm(size, generator=generator)[:count].sort().values


def model_image_shape(model: GenerativeModel) -> tuple[int, int, int]:
    """The shape of the images the model makes."""
    return (model.config.in_channels, *model.config.image_size)


def model_data_shape(model: GenerativeModel) -> tuple[int, int, int]:
    """The shape of one data image the model reads (an image pair for pix2pix and CycleGAN)."""
    return tuple(model.data_shape) if isinstance(model, PairedOutputs) else model_image_shape(model)


class Evaluator:
    """Scores models against ``real_set`` (up to ``config.n`` of its images).

    Args:
        real_set: the real images (a split of a :class:`~latentforge.data.DataBundle`).
        config: metrics, sample count, extractor name, seed.
        dataset, split: names for the cache key and the report.
        extractor: a ready extractor (default: ``load_feature_extractor(config.features)``).
        cache: where real features are kept (default: the user cache; ``config.cache=False``
            computes them every time).
    """

    def __init__(
        self,
        real_set: ImageSet,
        config: EvaluationConfig,
        *,
        dataset: str,
        split: str,
        device: str | torch.device = "cpu",
        extractor: FeatureExtractor | None = None,
        cache: RealFeatureCache | None = None,
        progress: bool = False,
    ) -> None:
        if len(real_set) < 2:
            raise DataError(f"the {split} split of {dataset} has {len(real_set)} images; need 2+")
        self.real_set, self.config = real_set, config
        self.dataset, self.split = dataset, split
        self.device = torch.device(device)
        self.real_indices = real_subset(len(real_set), config.n)
        self._extractor = extractor
        self.cache = cache or RealFeatureCache(enabled=config.cache)
        self.progress = progress
        self._real: RealFeatures | None = None

    @property
    def extractor(self) -> FeatureExtractor:
        if self._extractor is None:
            self._extractor = load_feature_extractor(self.config.features, self.device)
        return self._extractor.to(self.device)

    def plan(self, model: GenerativeModel) -> tuple[list[EvaluationMetric], dict[str, str]]:
        """The metrics that apply to ``model`` and, by name, why the others are skipped."""
        metrics = [EVALUATION_METRICS.get(name) for name in self.config.metrics]
        needs_features = any(metric.uses_samples for metric in metrics)
        extractor = self.extractor if needs_features else None
        chosen, skipped = [], {}
        for metric in metrics:
            reason = metric.unavailable(model, extractor)
            if reason is None:
                chosen.append(metric)
            else:
                skipped[metric.name] = reason
        return chosen, skipped

    def check(self, model: GenerativeModel) -> None:
        """Fail early when the model's images do not fit the data or the extractor."""
        shape, data_shape = model_image_shape(model), model_data_shape(model)
        if data_shape != self.real_set.shape:
            reads = "makes" if data_shape == shape else "reads"
            raise ShapeError(
                f"the model {reads} {'x'.join(map(str, data_shape))} images but the {self.split} "
                f"images of {self.dataset} are {'x'.join(map(str, self.real_set.shape))}; "
                "evaluate on data of the model's shape (--data, with --image-size / --channels)"
            )
        chosen, _ = self.plan(model)
        if any(metric.uses_samples for metric in chosen):
            self.extractor.check_image_shape(shape)

    def real_features(self) -> RealFeatures:
        if self._real is None:
            self._real = self.cache.real_features(
                self.real_set,
                self.real_indices,
                self.extractor,
                self.dataset,
                self.split,
                self.config.batch_size,
                self.progress,
            )
        return self._real

    def _real_batches(self, count: int, batch: int) -> Iterator[Tensor]:
        return image_batches(self.real_set, self.real_indices[:count], batch)

    @torch.no_grad()
    def _sample_batches(self, model: GenerativeModel) -> Iterator[Tensor]:
        generator = torch.Generator().manual_seed(self.config.seed)
        for start in range(0, self.config.n, self.config.batch_size):
            count = min(self.config.batch_size, self.config.n - start)
            images = model.sample(count, generator=generator)
            if not torch.isfinite(images).all():
                raise DataError(
                    f"the {model.model_type} model's samples contain NaN or infinite values; "
                    "the model has diverged: evaluate an earlier checkpoint"
                )
            yield images.clamp(0.0, 1.0)

    @torch.no_grad()
    def paired_outputs(self, model: GenerativeModel) -> tuple[Tensor, Tensor]:
        """A conditional model's outputs for the split's inputs and their targets, on the CPU;
        any randomness of the inputs (holes, noise) is drawn with ``config.seed``."""
        generator = torch.Generator().manual_seed(self.config.seed)
        outputs, targets = [], []
        for images in image_batches(self.real_set, self.real_indices, self.config.batch_size):
            output, target = model.paired_outputs(images.to(self.device), generator=generator)
            if not torch.isfinite(output).all():
                raise DataError(
                    f"the {model.model_type} model's outputs contain NaN or infinite values; "
                    "the model has diverged: evaluate an earlier checkpoint"
                )
            outputs.append(output.clamp(0.0, 1.0).cpu())
            targets.append(target.cpu())
        return torch.cat(outputs), torch.cat(targets)

    def _paired_features(self, pairs: tuple[Tensor, Tensor]) -> tuple[RealFeatures, FeatureSet]:
        """Features of the targets (as the real side) and of the outputs."""
        batch = self.config.batch_size

        def batches(images: Tensor) -> Iterator[Tensor]:
            return (images[i : i + batch] for i in range(0, images.shape[0], batch))

        outputs, targets = pairs
        real = self.extractor.extract(batches(targets), len(targets), self.progress, "targets")
        fake = self.extractor.extract(batches(outputs), len(outputs), self.progress, "outputs")
        stats = FeatureStats.from_features(real.features)
        return RealFeatures(real, stats, key=f"{self.dataset}-{self.split}-targets"), fake

    def sample_features(self, model: GenerativeModel) -> FeatureSet:
        """Features (and logits) of ``config.n`` samples drawn with ``config.seed``."""
        return self.extractor.extract(
            self._sample_batches(model), self.config.n, self.progress, "samples"
        )

    def evaluate(self, model: GenerativeModel) -> EvaluationResult:
        """All applicable metrics of ``model``; restores its train/eval mode afterwards."""
        was_training = model.training
        model.eval()
        try:
            return self._evaluate(model)
        finally:
            model.train(was_training)

    def _evaluate(self, model: GenerativeModel) -> EvaluationResult:
        self.check(model)
        chosen, skipped = self.plan(model)
        result = EvaluationResult(skipped=skipped)
        inputs = EvaluationInputs(
            model=model,
            config=self.config,
            device=self.device,
            real_batches=self._real_batches,
            num_real=len(self.real_indices),
            progress=self.progress,
        )
        uses_samples = any(metric.uses_samples for metric in chosen)
        uses_pairs = any(metric.uses_pairs for metric in chosen)
        if is_conditional(model) and (uses_samples or uses_pairs):
            start = time.perf_counter()
            inputs.pairs = self.paired_outputs(model)
            result.seconds["outputs"] = time.perf_counter() - start
            if uses_samples:
                start = time.perf_counter()
                inputs.extractor = self.extractor
                inputs.real, inputs.fake = self._paired_features(inputs.pairs)
                result.seconds["features"] = time.perf_counter() - start
        elif uses_samples:
            start = time.perf_counter()
            inputs.extractor, inputs.real = self.extractor, self.real_features()
            result.seconds["real_features"] = time.perf_counter() - start
            start = time.perf_counter()
            inputs.fake = self.sample_features(model)
            result.seconds["samples"] = time.perf_counter() - start
            result.info["samples_per_s"] = self.config.n / max(result.seconds["samples"], 1e-9)
        for metric in chosen:
            start = time.perf_counter()
            result.metrics.update(metric.compute(inputs))
            result.seconds[metric.name] = time.perf_counter() - start
        result.info.update(self._describe(model, inputs))
        return result

    def _describe(self, model: GenerativeModel, inputs: EvaluationInputs) -> dict:
        info = {
            "model_type": model.model_type,
            "dataset": self.dataset,
            "split": self.split,
            "num_real": len(self.real_indices),
            "seed": self.config.seed,
            "metrics": list(self.config.metrics),
            "notes": inputs.notes,
        }
        if inputs.pairs is not None:
            info["conditional"] = (
                f"outputs for the {len(inputs.pairs[0])} inputs of the split against their targets"
            )
        if inputs.real is not None and inputs.extractor is not None:
            info.update(
                num_generated=len(inputs.fake.features) if inputs.fake else self.config.n,
                features=inputs.extractor.name,
                features_description=inputs.extractor.description,
                features_key=inputs.extractor.cache_key,
                feature_dim=inputs.extractor.feature_dim,
                real_features_cached=inputs.real.from_cache,
            )
        return info
