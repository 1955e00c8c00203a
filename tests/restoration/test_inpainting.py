"""inpainting: the generator's inputs, the composite, the hole loss, the global + local
discriminator, save/load and an engine run."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

from latentforge.data.masks import make_masks
from latentforge.errors import ConfigError, ShapeError
from latentforge.losses import least_squares_generator_loss
from latentforge.models import MODELS, GenerativeModel, Inpainting, InpaintingConfig
from latentforge.models.inpainting import hole_loss
from latentforge.steps.train_config import TrainConfig

from .helpers import TINY_INPAINT, blob_bundle, run_engine, tiny_inpainting


class Spy(nn.Module):
    """Records its input and returns a constant image of 0.25 in [-1, 1]."""

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.zeros(()))
        self.seen: list[torch.Tensor] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.seen.append(x)
        return torch.full_like(x[:, :1], 0.25) + self.w


def test_the_generator_sees_the_masked_image_and_the_mask_and_known_pixels_stay() -> None:
    spy = Spy()
    model = Inpainting(InpaintingConfig(**TINY_INPAINT), generator=spy)
    images = torch.rand(3, 1, 28, 28)
    masks = make_masks("rectangles", 3, (28, 28), 0.5, torch.Generator().manual_seed(0))
    out = model.inpaint(images, masks)
    seen = spy.seen[-1]
    torch.testing.assert_close(seen[:, :1], (images * 2 - 1) * (1 - masks))
    torch.testing.assert_close(seen[:, 1:], masks)
    torch.testing.assert_close(out, images * (1 - masks) + 0.625 * masks)  # (0.25 + 1) / 2


@pytest.mark.parametrize("kind", ["mse", "l1"])
def test_hole_loss_is_the_mean_error_over_the_hole(kind) -> None:
    restored = torch.zeros(1, 2, 3, 3)
    target = torch.zeros(1, 2, 3, 3)
    masks = torch.zeros(1, 1, 3, 3)
    masks[0, 0, 0, :2] = 1  # 2 pixels x 2 channels
    restored[0, 0, 0, 0], restored[0, 1, 0, 1] = 0.5, -1.0
    restored[0, 0, 2, 2] = 9.0  # outside: ignored
    expected = (0.25 + 1.0) / 4 if kind == "mse" else (0.5 + 1.0) / 4
    assert hole_loss(restored, target, masks, kind).item() == pytest.approx(expected)


def test_generator_loss_is_hole_loss_plus_weighted_adversarial_term() -> None:
    torch.manual_seed(0)
    model = tiny_inpainting(loss="least-squares", adversarial_weight=0.05, recon_loss="l1")
    images = torch.rand(4, 1, 28, 28)
    state = torch.get_rng_state()
    out = model.generator_loss({"images": images})
    torch.set_rng_state(state)  # the same masks again
    degraded = model.degrade(images)
    restored = model.restore(degraded)
    masks = degraded["mask"]
    expected = hole_loss(restored, images * 2 - 1, masks, "l1") + 0.05 * (
        least_squares_generator_loss(model.discriminator(restored, masks))
    )
    torch.testing.assert_close(out.loss, expected)


def test_the_discriminator_phase_scores_real_and_filled_images_with_their_masks() -> None:
    model = tiny_inpainting(loss="wasserstein-gp")
    images = torch.rand(4, 1, 28, 28)
    out = model.discriminator_loss({"images": images})
    assert {"d_real", "d_fake", "accuracy", "gradient_penalty"} <= set(out.logs)
    out.loss.backward()
    assert model.discriminator.local_net.head.weight.grad is not None


@pytest.mark.parametrize("size", [(28, 28), (112, 92)])
def test_shapes_and_validation_numbers(size) -> None:
    model = tiny_inpainting(image_size=size).eval()
    images = torch.rand(2, 1, *size)
    assert model.reconstruct(images).shape == images.shape
    assert model.translate(images).shape == images.shape
    assert model.config.local_window == (round(size[0] / 2), round(size[1] / 2))
    values = model.evaluation_losses({"images": images})
    assert {"content", "mse", "psnr", "ssim", "hole_psnr"} <= set(values)
    again = model.evaluation_losses({"images": images})
    assert values["hole_psnr"] == again["hole_psnr"]  # validation masks come from a fixed seed


def test_bad_inputs_and_options_are_named() -> None:
    model = tiny_inpainting()
    with pytest.raises(ShapeError, match="masks must be"):
        model.inpaint(torch.rand(2, 1, 28, 28), torch.ones(2, 1, 14, 14))
    with pytest.raises(ShapeError, match="28x28"):
        model.inpaint(torch.rand(2, 1, 20, 20), torch.ones(2, 1, 20, 20))
    for options, match in [
        ({"mask": "circle"}, "--mask"),
        ({"hole_size": 0.0}, "--hole-size"),
        ({"local_size": 2.0}, "--local-size"),
        ({"recon_loss": "huber"}, "--recon-loss"),
        ({"dilations": ()}, "--dilations"),
    ]:
        with pytest.raises(ConfigError, match=match):
            InpaintingConfig(**options)
    assert MODELS.get("inpainting") is Inpainting


def test_save_and_load_round_trip(tmp_path) -> None:
    model = tiny_inpainting().eval()
    model.remember_examples(torch.rand(3, 1, 28, 28))
    model.save_pretrained(tmp_path / "m")
    loaded = GenerativeModel.from_pretrained(tmp_path / "m").eval()
    masks = make_masks("strokes", 3, (28, 28))
    images = torch.rand(3, 1, 28, 28)
    torch.testing.assert_close(loaded.inpaint(images, masks), model.inpaint(images, masks))
    g1, g2 = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    torch.testing.assert_close(loaded.sample(4, g1), model.sample(4, g2))


def test_a_short_run_with_pretraining(tmp_path) -> None:
    model = tiny_inpainting(pretrain_steps=1, mask="mixed")
    trainer = run_engine(model, tmp_path, blob_bundle(n=32))
    records = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    keys = set().union(*records)
    assert {"train/pretrain/hole_mse", "train/generator/adversarial", "val/hole_psnr"} <= keys
    assert trainer.progress.step == 2
    assert (tmp_path / "images" / "restorations" / "epoch-0001.png").is_file()


def test_training_phases_without_an_adversary() -> None:
    model = tiny_inpainting(adversarial_weight=0.0)
    assert [p.name for p in model.training_phases(TrainConfig())] == ["generator"]
