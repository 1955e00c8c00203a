"""The engine end to end on a few hundred real images: files, resume, NaN, precision."""

import json

import pytest
import torch
from safetensors.torch import load_file

from latentforge.errors import ConfigError, TrainingDiverged
from latentforge.models.base import GenerativeModel
from latentforge.steps.phases import LossOutput
from latentforge.training.checkpoint import latest_checkpoint, load_model
from latentforge.training.distributed import DistContext
from latentforge.training.engine import Trainer
from latentforge.training.run import build_for_data
from latentforge.utils.seeding import seed_everything
from latentforge.utils.weights import file_sha256

SMALL = {"latent_dim": 4, "hidden_channels": [8, 16]}


def make_trainer(bundle, train, run_dir, model_type="vae", **kwargs):
    seed_everything(train.seed)
    model = build_for_data(model_type, SMALL, bundle)
    return Trainer(model, bundle, train, run_dir, DistContext(), **kwargs)


def test_a_run_writes_everything_it_promises(tmp_path, tiny_bundle, fast_train):
    trainer = make_trainer(tiny_bundle, fast_train.replace(epochs=2), tmp_path)
    progress = trainer.fit()
    assert progress.step == 2 * (384 // 64) and progress.epoch == 2
    records = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert any("train/vae/loss" in r and "images_per_s" in r for r in records)
    epochs = [r for r in records if "val/loss" in r]
    assert [r["epoch"] for r in epochs] == [1, 2]
    assert all(
        r["val/loss"] == pytest.approx(r["val/recon"] + r["val/kl"], rel=1e-5) for r in epochs
    )
    for name in ("samples", "reconstructions"):
        assert (tmp_path / "images" / name / "epoch-0002.png").is_file()
    checkpoint = latest_checkpoint(tmp_path)
    assert checkpoint.name == "step-00000012"
    model = load_model(tmp_path)
    assert torch.equal(
        model.state_dict()["decoder.to_image.weight"], trainer.model.decoder.to_image.weight
    )


def test_resume_mid_epoch_ends_with_bit_identical_weights(tmp_path, tiny_bundle, fast_train):
    cfg = fast_train.replace(epochs=2)
    make_trainer(tiny_bundle, cfg, tmp_path / "whole").fit()
    make_trainer(tiny_bundle, cfg.replace(max_steps=8), tmp_path / "broken").fit()
    assert latest_checkpoint(tmp_path / "broken").name == "step-00000008"  # mid epoch 2
    seed_everything(999)  # a different RNG state before resuming must not matter
    resumed = make_trainer(tiny_bundle, cfg, tmp_path / "broken")
    resumed.resume_from(latest_checkpoint(tmp_path / "broken"))
    assert resumed.progress.epoch == 1 and resumed.progress.batch_in_epoch == 2
    resumed.fit()
    a = load_file(str(latest_checkpoint(tmp_path / "whole") / "model.safetensors"))
    b = load_file(str(latest_checkpoint(tmp_path / "broken") / "model.safetensors"))
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_resume_with_ema_restores_both_weight_sets(tmp_path, tiny_bundle, fast_train):
    cfg = fast_train.replace(epochs=2, ema_decay=0.9)
    make_trainer(tiny_bundle, cfg, tmp_path / "whole").fit()
    make_trainer(tiny_bundle, cfg.replace(max_steps=7), tmp_path / "broken").fit()
    resumed = make_trainer(tiny_bundle, cfg, tmp_path / "broken")
    resumed.resume_from(latest_checkpoint(tmp_path / "broken"))
    resumed.fit()
    for name in ("model.safetensors", "train_weights.safetensors"):
        a = load_file(str(latest_checkpoint(tmp_path / "whole") / name))
        b = load_file(str(latest_checkpoint(tmp_path / "broken") / name))
        assert all(torch.equal(a[k], b[k]) for k in a)
    ema = load_file(str(latest_checkpoint(tmp_path / "whole") / "model.safetensors"))
    raw = load_file(str(latest_checkpoint(tmp_path / "whole") / "train_weights.safetensors"))
    assert not torch.equal(ema["decoder.to_image.weight"], raw["decoder.to_image.weight"])


def test_nan_loss_stops_with_the_step_and_keeps_the_last_checkpoint(
    tmp_path, tiny_bundle, fast_train
):
    trainer = make_trainer(tiny_bundle, fast_train.replace(epochs=3), tmp_path)
    real_loss = trainer.model.batch_loss
    calls = {"n": 0}

    def loss_turning_nan(batch):
        calls["n"] += 1
        out = real_loss(batch)
        return LossOutput(out.loss * float("nan"), out.logs) if calls["n"] > 9 else out

    trainer.phases[0].loss = loss_turning_nan
    with pytest.raises(TrainingDiverged, match="became nan at step 9"):
        trainer.fit()
    checkpoint = latest_checkpoint(tmp_path)
    assert checkpoint.name == "step-00000006"
    digest = file_sha256(checkpoint / "model.safetensors")
    model = GenerativeModel.from_pretrained(checkpoint)
    assert all(torch.isfinite(p).all() for p in model.parameters())
    assert file_sha256(checkpoint / "model.safetensors") == digest


def test_bf16_training_runs_on_cpu(tmp_path, tiny_bundle, fast_train):
    trainer = make_trainer(tiny_bundle, fast_train.replace(precision="bf16", max_steps=3), tmp_path)
    trainer.fit()
    assert trainer.progress.step == 3


def test_gradient_clipping_bounds_the_update(tmp_path, tiny_bundle, fast_train):
    cfg = fast_train.replace(grad_clip=1e-3, max_steps=1, lr=0.1)
    trainer = make_trainer(tiny_bundle, cfg, tmp_path, model_type="ae")
    runner = trainer.runners[0]
    runner.optimizer = torch.optim.SGD(runner.phase.parameters, lr=1.0)
    runner.base_lrs = [1.0]
    before = [p.detach().clone() for p in runner.phase.parameters]
    trainer.fit()
    moved = torch.cat([(p.detach() - b).flatten() for p, b in zip(runner.phase.parameters, before)])
    assert moved.norm().item() == pytest.approx(1e-3, rel=1e-3)


def test_batch_larger_than_the_data_is_a_clear_error(tmp_path, tiny_bundle, fast_train):
    with pytest.raises(ConfigError, match="larger than the 384 training images"):
        make_trainer(tiny_bundle, fast_train.replace(batch_size=1000), tmp_path)


def test_checkpoints_are_pruned_and_latest_points_to_a_complete_one(
    tmp_path, tiny_bundle, fast_train
):
    cfg = fast_train.replace(epochs=1, checkpoint_every=1, keep_checkpoints=2)
    make_trainer(tiny_bundle, cfg, tmp_path).fit()
    kept = sorted(p.name for p in (tmp_path / "checkpoints").glob("step-*"))
    assert kept == ["step-00000005", "step-00000006"]
    assert (tmp_path / "checkpoints" / "latest").read_text().strip() == "step-00000006"
    (tmp_path / "checkpoints" / "latest").write_text("step-99999999\n")  # a dangling pointer
    assert latest_checkpoint(tmp_path).name == "step-00000006"
