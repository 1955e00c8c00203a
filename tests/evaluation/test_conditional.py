"""Evaluation of image-to-image models: outputs for the split's inputs against their targets,
checked against the model's own outputs and the metric formulas."""

from __future__ import annotations

import pytest
import torch

from latentforge.data.base import TensorImageSet
from latentforge.data.pairs import split_pair
from latentforge.errors import ShapeError
from latentforge.evaluation import EvaluationConfig, Evaluator
from latentforge.metrics import FeatureStats, frechet_distance, per_image_psnr, per_image_ssim
from latentforge.models import CycleGAN, CycleGANConfig, Pix2Pix, Pix2PixConfig
from tests.restoration.helpers import tiny_srgan

SIZE = (12, 12)
SMALL = dict(n=40, batch_size=16, kid_subsets=2, kid_subset_size=10)


def pair_set(count: int = 40, channels: int = 1) -> TensorImageSet:
    generator = torch.Generator().manual_seed(3)
    images = torch.randint(0, 256, (count, 2 * channels, *SIZE), generator=generator)
    return TensorImageSet(images.to(torch.uint8))


def evaluator(real_set, extractor, metrics) -> Evaluator:
    config = EvaluationConfig(**SMALL, metrics=metrics, cache=False)
    return Evaluator(real_set, config, dataset="pairs", split="test", extractor=extractor)


def test_pix2pix_is_scored_on_its_translations_against_the_true_targets(toy_extractor) -> None:
    torch.manual_seed(0)
    model = Pix2Pix(
        Pix2PixConfig(image_size=SIZE, g_channels=(4, 8), d_channels=(4, 8), dropout=0.0)
    ).eval()
    data = pair_set()
    extractor = toy_extractor()
    result = evaluator(data, extractor, ("fid", "paired")).evaluate(model)

    images = data.images.float() / 255.0
    sources, targets = split_pair(images)
    with torch.no_grad():
        outputs = model.translate(sources)
    l1 = (outputs - targets).abs().flatten(1).mean(1).mean().item()
    assert result.metrics["paired_l1"] == pytest.approx(l1, rel=1e-5)
    psnr = per_image_psnr(outputs, targets).mean().item()
    assert result.metrics["paired_psnr"] == pytest.approx(psnr, rel=1e-5)
    ssim = per_image_ssim(outputs, targets).mean().item()
    assert result.metrics["paired_ssim"] == pytest.approx(ssim, rel=1e-4)
    real = extractor.extract([targets]).features
    fake = extractor.extract([outputs]).features
    expected = frechet_distance(FeatureStats.from_features(real), FeatureStats.from_features(fake))
    assert result.metrics["fid"] == pytest.approx(expected, rel=1e-4, abs=1e-6)
    assert "targets" in result.info["conditional"]


def test_cyclegan_has_no_paired_scores_but_feature_metrics_against_domain_b(
    toy_extractor,
) -> None:
    model = CycleGAN(
        CycleGANConfig(
            image_size=SIZE, g_channels=(4, 8), residual_blocks=1, d_channels=(4, 8), pool_size=0
        )
    ).eval()
    result = evaluator(pair_set(), toy_extractor(), ("fid", "paired")).evaluate(model)
    assert "fid" in result.metrics and "paired_l1" not in result.metrics
    assert "unpaired" in result.skipped["paired"]


def test_restoration_models_restore_a_seeded_degraded_copy(toy_extractor) -> None:
    torch.manual_seed(0)
    model = tiny_srgan(image_size=(28, 28)).eval()
    generator = torch.Generator().manual_seed(1)
    images = torch.randint(0, 256, (24, 1, 28, 28), generator=generator, dtype=torch.uint8)
    data = TensorImageSet(images)
    result = evaluator(data, toy_extractor(), ("paired", "recon")).evaluate(model)
    restored = model.reconstruct(images.float() / 255.0)
    psnr = per_image_psnr(restored, images.float() / 255.0).mean().item()
    assert result.metrics["paired_psnr"] == pytest.approx(psnr, rel=1e-5)
    assert result.metrics["recon_psnr"] == pytest.approx(psnr, rel=1e-5)


def test_data_that_are_not_pairs_are_refused_naming_the_shapes(toy_extractor) -> None:
    model = Pix2Pix(Pix2PixConfig(image_size=SIZE, g_channels=(4, 8), d_channels=(4, 8)))
    singles = TensorImageSet(torch.zeros(8, 1, *SIZE, dtype=torch.uint8))
    with pytest.raises(ShapeError, match="reads 2x12x12 images"):
        evaluator(singles, toy_extractor(), ("paired",)).evaluate(model)
