"""Progressive GAN: the growth timeline, the clock in the checkpoint (exact resume), the
critic loss against its formula at a fading stage, full-size samples, per-stage grids, CLI."""

from __future__ import annotations

import pytest
import torch
from PIL import Image

from latentforge.cli import main
from latentforge.errors import ConfigError
from latentforge.losses import gradient_penalty
from latentforge.models import ProGAN, ProGANConfig
from latentforge.models.base import GenerativeModel
from latentforge.models.growth import GrowthSchedule
from latentforge.nn.progan_nets import downscale, upscale
from latentforge.steps.train_config import TrainConfig
from latentforge.training.checkpoint import latest_checkpoint, load_model
from latentforge.training.distributed import DistContext
from latentforge.training.engine import Trainer
from latentforge.utils.run_logs import read_metrics

from ..conftest import one_thread
from .gan_helpers import run_engine, tiny_bundle

TINY = {
    "image_size": (16, 16),
    "z_dim": 4,
    "max_channels": 8,
    "min_channels": 4,
    "mbstd_group": 2,
}


def _model(**changes) -> ProGAN:
    torch.manual_seed(0)
    return ProGAN(ProGANConfig(**{**TINY, **changes}))


# --- the timeline ---------------------------------------------------------------------------
def test_growth_timeline_by_hand() -> None:
    schedule = GrowthSchedule(num_stages=3, phase_length=10)
    table = {
        0: (0, 1.0), 9: (0, 1.0),  # stage 0 stabilises
        10: (1, 0.0), 15: (1, 0.5), 19: (1, 0.9),  # stage 1 fades in
        20: (1, 1.0), 29: (1, 1.0),  # and stabilises
        30: (2, 0.0), 36: (2, 0.6),  # the last stage fades in
        40: (2, 1.0), 10**6: (2, 1.0),  # and stays
    }  # fmt: skip
    for clock, (stage, alpha) in table.items():
        growth = schedule.at(clock)
        assert (growth.stage, growth.alpha) == (stage, pytest.approx(alpha)), clock
    assert schedule.length == 50
    assert [schedule.at(c).phase for c in (0, 10, 20, 30, 40, 99)] == [0, 1, 2, 3, 4, 4]
    assert GrowthSchedule(1, 5).at(7).stage == 0
    with pytest.raises(ConfigError):
        GrowthSchedule(3, 0)


def test_config_picks_the_stages_and_checks_its_options() -> None:
    assert ProGANConfig(image_size=(32, 32)).stages == 4
    assert ProGANConfig(image_size=(28, 28)).stages == 3
    assert ProGANConfig(image_size=(32, 32), num_stages=2).schedule.num_stages == 2
    assert ProGANConfig(stage_images=100, stage_steps=7).schedule.phase_length == 7
    for bad, message in (
        ({"num_stages": 4, "image_size": (28, 28)}, "--num-stages 4"),
        ({"num_stages": 0}, "--num-stages"),
        ({"stage_images": 0}, "--stage-images"),
        ({"stage_steps": 0}, "--stage-steps"),
        ({"min_channels": 64, "max_channels": 32}, "--min-channels"),
        ({"mbstd_group": 1}, "--mbstd-group"),
    ):
        with pytest.raises(ConfigError, match=message):
            ProGANConfig(**bad)


def test_defaults_follow_the_paper() -> None:
    c = ProGANConfig()
    assert (c.loss, c.gp_weight, c.d_steps, c.g_steps) == ("wasserstein-gp-drift", 10.0, 1, 1)
    assert (c.optimizer, c.lr_d, c.lr_g, c.beta1, c.beta2) == ("adam", 1e-3, 1e-3, 0.0, 0.99)


# --- the clock ----------------------------------------------------------------------------
def test_discriminator_steps_advance_the_clock_by_the_global_batch() -> None:
    model = _model(stage_images=32)
    d_phase, g_phase = model.training_phases(TrainConfig(batch_size=16))
    assert g_phase.after_step is None
    stages = []
    for _ in range(6):
        d_phase.after_step()
        stages.append((model.growth().stage, model.growth().alpha))
    assert (model.images_seen.item(), model.d_steps_seen.item()) == (96, 6)
    # clock 16 32 48 64 80 96 with phases of 32 images
    assert stages == [(0, 1.0), (1, 0.0), (1, 0.5), (1, 1.0), (1, 1.0), (2, 0.0)]
    model.config.stage_steps = 2  # the same phases, measured in steps
    assert model.clock == 6 and model.growth().stage == 2


def test_reals_are_averaged_to_the_stage_and_blended_while_fading() -> None:
    model = _model(stage_steps=4)
    images = torch.rand(2, 1, 16, 16)
    model.d_steps_seen.fill_(6)  # stage 1 (8x8) fading in, alpha = 0.5
    growth = model.growth()
    assert (growth.stage, growth.alpha) == (1, 0.5)
    x8 = torch.nn.functional.avg_pool2d(images, 2)
    x4_up = x8.view(2, 1, 4, 2, 4, 2).mean((3, 5)).repeat_interleave(2, 2).repeat_interleave(2, 3)
    torch.testing.assert_close(model.reals_at(images, growth), 0.5 * x4_up + 0.5 * x8)


def test_critic_loss_is_wgan_gp_plus_drift_at_a_fading_stage() -> None:
    model = _model(stage_steps=4)
    model.d_steps_seen.fill_(13)  # stage 2 fading in, alpha = 1/4
    batch = {"images": tiny_bundle(8, size=16).train.images.float() / 255.0}
    torch.manual_seed(3)
    out = model.discriminator_loss(batch)
    torch.manual_seed(3)  # the same draws: noise for the fakes, then epsilon for the penalty
    real = model.reals_at(batch["images"], model.growth()) * 2 - 1
    fake = model.generator(torch.randn(8, 4), stage=2, alpha=0.25)
    critic = lambda x: model.discriminator(x, stage=2, alpha=0.25)  # noqa: E731
    r, f = critic(real), critic(fake)
    expected = f.mean() - r.mean() + 0.001 * r.square().mean()
    expected = expected + gradient_penalty(critic, real, fake, weight=10.0)
    torch.testing.assert_close(out.loss, expected)
    assert out.logs["stage"] == 2 and out.logs["alpha"] == pytest.approx(0.25)
    assert out.logs["gradient_penalty"] > 0


# --- generating -----------------------------------------------------------------------------
def test_samples_are_full_size_and_blocky_before_the_last_stage() -> None:
    model = _model(stage_steps=1)
    early = model.sample(3, generator=torch.Generator().manual_seed(0))
    assert early.shape == (3, 1, 16, 16) and early.min() >= 0 and early.max() <= 1
    # stage 0 is 4x4: every 4x4 block of the sample is one value
    torch.testing.assert_close(early, upscale(downscale(early, 4), 4))
    model.d_steps_seen.fill_(100)
    late = model.sample(3, generator=torch.Generator().manual_seed(0))
    assert not torch.allclose(late, upscale(downscale(late, 4), 4))
    stage_1 = model.stage_samples(2, 1, torch.Generator().manual_seed(0))
    torch.testing.assert_close(stage_1, upscale(downscale(stage_1, 2), 2))


def test_save_and_load_keep_the_clock_and_the_samples(tmp_path) -> None:
    model = _model(stage_steps=3)
    model.d_steps_seen.fill_(4)
    model.images_seen.fill_(64)
    model.save_pretrained(tmp_path)
    loaded = GenerativeModel.from_pretrained(tmp_path)
    assert isinstance(loaded, ProGAN) and loaded.clock == 4
    assert loaded.growth() == model.growth()
    seed = torch.Generator().manual_seed(5)
    expected = model.sample(4, generator=torch.Generator().manual_seed(5))
    torch.testing.assert_close(loaded.sample(4, generator=seed), expected)


# --- training -------------------------------------------------------------------------------
def test_engine_grows_through_the_stages_and_writes_a_grid_per_stage(tmp_path) -> None:
    model = _model(stage_steps=1)
    run_engine(model, tmp_path, tiny_bundle(64, size=16), epochs=2)  # 4 steps an epoch
    assert model.d_steps_seen.item() == 8 and model.growth().stage == 2
    grids = sorted(p.name for p in (tmp_path / "images" / "stages").glob("*.png"))
    assert grids == ["stage-0-4x4.png", "stage-1-8x8.png", "stage-2-16x16.png"]
    with Image.open(tmp_path / "images" / "stages" / "stage-0-4x4.png") as grid:
        assert grid.size[0] > 8 * 16  # eight 16x16 images (upscaled) and padding per row
    logged = [(r["train/discriminator/stage"], r["train/discriminator/alpha"]) for r in
              read_metrics(tmp_path) if "train/discriminator/stage" in r]  # fmt: skip
    assert logged[:5] == [(0, 1.0), (1, 0.0), (1, 1.0), (2, 0.0), (2, 1.0)]
    loaded = load_model(tmp_path)
    assert loaded.clock == 8 and loaded.sample(2).shape == (2, 1, 16, 16)


def _trainer(run_dir, max_steps=None) -> Trainer:
    torch.manual_seed(0)
    model = ProGAN(ProGANConfig(**{**TINY, "stage_images": 32}))
    train = TrainConfig(
        epochs=2, batch_size=16, max_steps=max_steps, log_every=1, num_workers=0,
        progress=False, tensorboard=False, device="cpu",
    )  # fmt: skip
    return Trainer(model, tiny_bundle(64, size=16), train, run_dir, DistContext())


def test_resume_mid_fade_is_bit_identical(tmp_path) -> None:
    with one_thread():
        whole = _trainer(tmp_path / "whole")
        whole.fit()
        _trainer(tmp_path / "broken", max_steps=3).fit()  # stops at 48 images: fading
        torch.manual_seed(99)
        resumed = _trainer(tmp_path / "broken")
        resumed.resume_from(latest_checkpoint(tmp_path / "broken"))
        assert resumed.model.images_seen.item() == 48 and resumed.model.growth().fading
        resumed.fit()
    a, b = whole.model.state_dict(), resumed.model.state_dict()
    assert a["images_seen"].item() == 128
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_cli_trains_progan_on_the_sample(tmp_path, capsys) -> None:
    argv = ["train", "progan", "--data", "sample", "--image-size", "16", "--max-steps", "3",
            "--batch-size", "16", "--stage-steps", "1", "--max-channels", "8", "--min-channels",
            "4", "--z-dim", "4", "--no-progress", "--no-tensorboard", "--num-workers", "0",
            "--device", "cpu", "--out", str(tmp_path / "run")]  # fmt: skip
    with one_thread():
        assert main(argv) == 0
    model = load_model(tmp_path / "run")
    assert isinstance(model, ProGAN) and model.clock == 3 and model.growth().stage == 2
    stages = tmp_path / "run" / "images" / "stages"
    assert sorted(p.name for p in stages.glob("*.png")) == [
        "stage-0-4x4.png", "stage-1-8x8.png", "stage-2-16x16.png",  # the last at --max-steps
    ]  # fmt: skip
    code = main(["train", "progan", "--data", "sample", "--num-stages", "5", "--out",
                 str(tmp_path / "bad")])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "--num-stages 5" in err and "Traceback" not in err
