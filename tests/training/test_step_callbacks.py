"""Generic engine hooks: callbacks a model brings, ``on_step_end`` after every cycle, and
``Trainer.write_grids`` for grids at any time."""

from __future__ import annotations

import typing

import torch

from latentforge.data.base import DataBundle
from latentforge.steps.hooks import RunningTrainer, TrainingProgress
from latentforge.training.distributed import DistContext
from latentforge.training.engine import GRID_SEED, Trainer
from latentforge.training.run import build_for_data
from latentforge.utils.seeding import seed_everything
from tests.conftest import one_thread


class Recorder:
    def __init__(self) -> None:
        self.steps: list[int] = []
        self.epochs = 0

    def on_step_end(self, trainer: Trainer) -> None:
        self.steps.append(trainer.progress.step)

    def on_epoch_end(self, trainer: Trainer) -> None:
        self.epochs += 1

    def after_checkpoint(self, trainer: Trainer, checkpoint) -> None:
        return None


class EpochOnly:
    def on_epoch_end(self, trainer: Trainer) -> dict[str, float]:
        return {"seen": 1.0}

    def after_checkpoint(self, trainer: Trainer, checkpoint) -> None:
        return None


def _trainer(bundle, train, run_dir, model_recorder=None, callbacks=()):
    seed_everything(0)
    bundle = DataBundle(
        "small", bundle.train.subset(torch.arange(32)), bundle.val.subset(torch.arange(8))
    )
    train = train.replace(batch_size=16)
    model = build_for_data("vae", {"latent_dim": 4, "hidden_channels": [8, 16]}, bundle)
    if model_recorder is not None:
        model.callbacks = lambda: [model_recorder]
    return Trainer(model, bundle, train, run_dir, DistContext(), callbacks=list(callbacks))


def test_step_callbacks_run_after_every_cycle_and_model_callbacks_join(
    tmp_path, tiny_bundle, fast_train
) -> None:
    from_model, from_run = Recorder(), Recorder()
    trainer = _trainer(
        tiny_bundle, fast_train, tmp_path, from_model, callbacks=[from_run, EpochOnly()]
    )
    assert trainer.callbacks[-1] is from_model  # the model's come after the run's own
    with one_thread():
        trainer.fit()
    assert from_model.steps == from_run.steps == [1, 2]  # 32 images, batches of 16
    assert from_model.epochs == from_run.epochs == 1  # epoch hooks still run for both


def test_write_grids_saves_named_files_with_fixed_noise_and_keeps_the_rng(
    tmp_path, tiny_bundle, fast_train
) -> None:
    trainer = _trainer(tiny_bundle, fast_train, tmp_path)
    drawn = []

    def render(generator: torch.Generator) -> dict[str, torch.Tensor]:
        torch.rand(3)  # a draw from the global stream must not leak into training
        drawn.append(torch.rand(1, generator=generator))
        return {"things": torch.rand(4, 1, 8, 8, generator=generator)}

    torch.manual_seed(7)
    before = torch.get_rng_state()
    trainer.write_grids(render, "custom-name.png")
    trainer.write_grids(render, "again.png")
    assert torch.equal(torch.get_rng_state(), before)
    assert (tmp_path / "images" / "things" / "custom-name.png").is_file()
    assert torch.equal(drawn[0], drawn[1])
    assert torch.equal(drawn[0], torch.rand(1, generator=torch.Generator().manual_seed(GRID_SEED)))
    assert trainer.model.training  # back in training mode


def test_the_trainer_offers_what_the_callback_contract_promises(
    tmp_path, tiny_bundle, fast_train
) -> None:
    trainer = _trainer(tiny_bundle, fast_train, tmp_path)
    promised = [*typing.get_type_hints(RunningTrainer), "write_grids"]
    assert {"model", "cfg", "progress", "run_dir", "epoch_record"} <= set(promised)
    with one_thread():
        trainer.fit()  # epoch_record exists once an epoch has ended
    missing = [name for name in promised if not hasattr(trainer, name)]
    assert not missing, f"Trainer lacks {missing}, which steps.hooks.RunningTrainer promises"
    for name in typing.get_type_hints(TrainingProgress):
        assert isinstance(getattr(trainer.progress, name), int)
