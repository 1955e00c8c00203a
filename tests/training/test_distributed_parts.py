"""Multi-process pieces in two gloo CPU processes: gradient averaging when one process has no
gradient for a parameter (it must not hang), batch norm over the global batch, and the raw
agreement of plain SGD training with one process."""

import dataclasses

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from latentforge.data import load_data
from latentforge.data.base import DataBundle
from latentforge.steps.phases import OptimizerSpec
from latentforge.steps.train_config import TrainConfig
from latentforge.training.distributed import DistContext, sync_batch_norm
from latentforge.training.engine import Trainer
from latentforge.training.gradient_sync import average_gradients
from latentforge.training.run import build_for_data
from latentforge.utils.seeding import seed_everything
from tests.training.processes import load_rank_tensors, run_processes, save_rank_tensors


def _unused_parameter(rank: int, world_size: int, out: str) -> None:
    torch.manual_seed(0)
    used, sometimes, never = (nn.Parameter(torch.randn(3)) for _ in range(3))
    loss = (used * (rank + 1)).sum() + (sometimes.sum() * 5 if rank == 0 else 0)
    loss.backward()
    average_gradients([used, sometimes, never], world_size)
    assert never.grad is None
    save_rank_tensors(out, rank, {"used": used.grad, "sometimes": sometimes.grad})


def test_a_parameter_without_gradient_on_one_process_does_not_hang(tmp_path):
    run_processes(_unused_parameter, 2, str(tmp_path), timeout=90)
    for grads in load_rank_tensors(tmp_path, 2):
        assert torch.allclose(grads["used"], torch.full((3,), (1 + 2) / 2))
        # rank 0's gradient 5, nothing from rank 1 (its share of the loss does not use it)
        assert torch.allclose(grads["sometimes"], torch.full((3,), 5 / 2))


def _batch_norm_inputs():
    torch.manual_seed(0)
    x = torch.randn(8, 3, 4, 4) * 3 + 1
    w = torch.randn(8, 3, 4, 4)  # the loss sum(w * y) weighs every output differently
    return x, w


def _global_batch_norm(rank: int, world_size: int, out: str) -> None:
    x, w = _batch_norm_inputs()
    share = slice(rank * 4, (rank + 1) * 4)
    layer = sync_batch_norm(nn.Sequential(nn.BatchNorm2d(3)), DistContext(rank, world_size))
    x_local = x[share].clone().requires_grad_(True)
    y = layer(x_local)
    (w[share] * y).sum().backward()
    bn = layer[0]
    save_rank_tensors(
        out,
        rank,
        {
            "y": y.detach(),
            "x_grad": x_local.grad,
            "weight_grad": bn.weight.grad,
            "running_mean": bn.running_mean,
            "running_var": bn.running_var,
        },
    )


def test_batch_norm_uses_the_statistics_of_the_global_batch(tmp_path):
    run_processes(_global_batch_norm, 2, str(tmp_path), timeout=90)
    x, w = _batch_norm_inputs()
    bn = nn.BatchNorm2d(3)
    x = x.requires_grad_(True)
    y = bn(x)
    (w * y).sum().backward()
    parts = load_rank_tensors(tmp_path, 2)
    assert torch.allclose(torch.cat([p["y"] for p in parts]), y.detach(), atol=1e-5)
    assert torch.allclose(torch.cat([p["x_grad"] for p in parts]), x.grad, atol=1e-5)
    summed = parts[0]["weight_grad"] + parts[1]["weight_grad"]
    assert torch.allclose(summed, bn.weight.grad, atol=1e-4)
    for p in parts:
        assert torch.allclose(p["running_mean"], bn.running_mean, atol=1e-6)
        assert torch.allclose(p["running_var"], bn.running_var, atol=1e-5)
    # each process's own half would give other statistics: the test can tell them apart
    assert not torch.allclose(nn.BatchNorm2d(3)(x[:4].detach()), y[:4].detach(), atol=1e-2)


SGD_STEPS = 60
TINY_AE = {"latent_dim": 4, "hidden_channels": (8, 16)}


def _quiet_cpu_config(**options) -> TrainConfig:
    """Engine options on the CPU with no logging between steps, progress bar or workers."""
    return TrainConfig(
        device="cpu", log_every=10_000, progress=False, tensorboard=False, num_workers=0, **options
    )


def _small_data() -> DataBundle:
    data = load_data("sample", val_fraction=0.1, seed=0)
    return DataBundle("small", data.train.subset(torch.arange(1024)), None)


def _train_sgd(rank: int, world_size: int, out: str, batch_size: int = 64) -> None:
    """The ``ae`` with plain SGD, through the engine, on ``world_size`` processes."""
    data = _small_data()
    seed_everything(0)
    model = build_for_data("ae", TINY_AE, data)
    phases = model.training_phases
    model.training_phases = lambda train: [
        dataclasses.replace(p, optimizer=OptimizerSpec("sgd", lr=0.05)) for p in phases(train)
    ]
    # several gradient buckets, sent while backward runs
    cfg = _quiet_cpu_config(batch_size=batch_size, max_steps=SGD_STEPS, grad_bucket_mb=0.002)
    ctx = DistContext(rank, world_size)
    trainer = Trainer(model, data, cfg, f"{out}/run{world_size}-{batch_size}", ctx)
    if world_size > 1:
        assert len(trainer.runners[0].averager.buckets) > 3
    trainer.fit()
    if rank == 0:
        weights = {k: v.contiguous() for k, v in model.state_dict().items()}
        save_file(weights, f"{out}/weights{world_size}-{batch_size}.safetensors")


def test_sgd_on_two_processes_agrees_with_one_to_float_rounding(tmp_path):
    run_processes(_train_sgd, 2, str(tmp_path), timeout=240)
    _train_sgd(0, 1, str(tmp_path))
    _train_sgd(0, 1, str(tmp_path), batch_size=32)  # what one process's share alone learns
    two = load_file(str(tmp_path / "weights2-64.safetensors"))
    one = load_file(str(tmp_path / "weights1-64.safetensors"))
    half = load_file(str(tmp_path / "weights1-32.safetensors"))
    raw = max((two[k] - one[k]).abs().max().item() for k in one)
    apart = max((half[k] - one[k]).abs().max().item() for k in one)
    # SGD adds lr * gradient, with no normalisation that could amplify a summation-order
    # difference (~1e-7 relative per step); over 60 steps at lr 0.05 the training's own
    # sensitivity grows it to ~1e-4 (measured 1.3e-4 on weights of size ~3), while learning
    # from half the batch lands ~7 away.
    assert raw < 1e-3, raw
    assert apart > 1000 * 1e-3, apart


class _StopOnRankOne:
    """Asks rank 1's trainer alone to stop after step 3, as a Ctrl-C reaching one process."""

    def __init__(self, rank: int) -> None:
        self.rank = rank

    def on_epoch_end(self, trainer):
        return None

    def after_checkpoint(self, trainer, checkpoint):
        return None

    def on_step_end(self, trainer) -> None:
        if self.rank == 1 and trainer.progress.step == 3:
            trainer._request_stop()


def _stop_on_one_process(rank: int, world_size: int, out: str) -> None:
    data = _small_data()
    seed_everything(0)
    model = build_for_data("ae", TINY_AE, data)
    cfg = _quiet_cpu_config(batch_size=64, max_steps=50)
    trainer = Trainer(
        model, data, cfg, f"{out}/run", DistContext(rank, world_size), [_StopOnRankOne(rank)]
    )
    trainer.fit()
    with open(f"{out}/rank{rank}.txt", "w") as f:
        f.write(f"{trainer.progress.step} {trainer.interrupted}")


def test_a_stop_asked_of_one_process_stops_every_process_after_the_same_cycle(tmp_path):
    run_processes(_stop_on_one_process, 2, str(tmp_path), timeout=120)
    ends = [(tmp_path / f"rank{rank}.txt").read_text() for rank in range(2)]
    # rank 1 asked during cycle 3's end; both agree at the end of cycle 4 and stop there
    assert ends == ["4 True", "4 True"], ends


def _train_into_a_refused_folder(rank: int, world_size: int, out: str) -> None:
    from latentforge.training.run import DataConfig, RunConfig, train

    run = RunConfig(
        "ae",
        dict(TINY_AE),
        DataConfig(),
        TrainConfig(max_steps=2, device="cpu", progress=False, tensorboard=False, num_workers=0),
    )
    try:
        train(run, f"{out}/not-a-run")
        outcome = "trained"
    except Exception as err:
        outcome = f"{type(err).__name__}: {err}"
    with open(f"{out}/rank{rank}.txt", "w") as f:
        f.write(outcome)


def test_a_folder_the_main_process_refuses_stops_every_process(tmp_path):
    """Only the main process checks and locks --out; when it refuses the folder the others must
    hear of it instead of waiting for it at their first collective."""
    folder = tmp_path / "not-a-run"
    folder.mkdir()
    (folder / "thesis.tex").write_text("someone else's file")
    run_processes(_train_into_a_refused_folder, 2, str(tmp_path), timeout=60)
    main, other = ((tmp_path / f"rank{r}.txt").read_text() for r in range(2))
    assert "thesis.tex" in main or "not a run" in main or "other files" in main, main
    assert other == "StoppedWithMainProcess: ", other
    assert (folder / "thesis.tex").read_text() == "someone else's file"
    assert sorted(p.name for p in folder.iterdir()) == ["thesis.tex"]
