"""Will this training run fit in memory? Answered from the config, before anything is allocated.

The model is built on the ``meta`` device (shapes, no storage). Training holds, per parameter,
its weight, its gradient and the optimiser's state (two moments for Adam, the default; one more
copy with an EMA): ``(4 + ema)`` values. Activations are measured by running each training
phase's loss once on a ``meta`` batch of the per-process batch size and adding up the outputs
of every module, which autograd keeps for the backward pass. The sum is an estimate, not a
bound: a run refused here could never have fitted; one accepted may still be tight.

A model that reads one of its counters (a scalar buffer: ProGAN's growth clock, a restoration
model's warm-up and example counts) cannot run on ``meta``, where a tensor has no value. Its
counters are then set, on the CPU, to a value late in training (``LATE``): the costliest time
of the run, e.g. ProGAN at its full resolution, with the adversary in play.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
from torch import nn

from latentforge.data.base import DataBundle
from latentforge.data.batching import to_batch
from latentforge.errors import LatentforgeError
from latentforge.models.footprint import check_fits, check_parameter_count, meta_model, model_bytes
from latentforge.steps.train_config import TrainConfig
from latentforge.training.distributed import DistContext

VALUES_PER_PARAMETER = 4  # weight, gradient, two Adam moments
LATE = 2**40  # a counter's value long after every warm-up and growth stage


def training_bytes(
    model: nn.Module, data: DataBundle, train: TrainConfig, world_size: int = 1
) -> dict[str, int]:
    """Estimated bytes per process: ``{"parameters": ..., "activations": ...}``."""
    _, params, buffers = model_bytes(model)
    copies = VALUES_PER_PARAMETER + (1 if train.ema_decay else 0)
    per_process = max(1, train.batch_size // world_size)
    return {
        "parameters": copies * params + buffers,
        "activations": activation_bytes(model, data, train, per_process),
    }


def activation_bytes(model: nn.Module, data: DataBundle, train: TrainConfig, batch: int) -> int:
    """Bytes of the outputs of the model's leaf modules (layers, not containers) in the
    costliest phase of one training step on ``batch`` images (0 where not measurable): on
    ``meta`` as the model stands, else with its counters late in training (``LATE``)."""
    images, labels = data.train.take(torch.arange(1))
    one = to_batch(images, labels, torch.device("cpu"))
    meta_batch = {
        key: torch.empty((batch, *value.shape[1:]), dtype=value.dtype, device="meta")
        for key, value in one.items()
    }
    for counters in (None, LATE):
        try:
            with counters_at(model, counters):
                return _costliest_phase(model, train, meta_batch)
        except LatentforgeError:
            raise
        except Exception:  # noqa: BLE001, S112 - not measurable this way: try the next
            continue
    return 0


def _costliest_phase(model: nn.Module, train: TrainConfig, batch: dict) -> int:
    sizes: list[int] = []

    def record(_module, _inputs, output) -> None:
        for tensor in output if isinstance(output, tuple | list) else (output,):
            if isinstance(tensor, torch.Tensor):
                sizes.append(tensor.numel() * tensor.element_size())

    leaves = [m for m in model.modules() if m is not model and next(m.children(), None) is None]
    hooks = [m.register_forward_hook(record) for m in leaves]
    try:
        step = 0
        for phase in model.training_phases(train):
            before = len(sizes)
            phase.loss(batch)
            step = max(step, sum(sizes[before:]))
        return step
    finally:
        for hook in hooks:
            hook.remove()


@contextlib.contextmanager
def counters_at(model: nn.Module, value: int | None) -> Iterator[None]:
    """While inside, every one-element ``meta`` buffer of ``model`` is a CPU tensor holding
    ``value`` (nothing changes for ``None``); the meta buffers come back afterwards."""
    replaced = []
    if value is not None:
        for module in model.modules():
            for name, buffer in list(module._buffers.items()):
                if buffer is not None and buffer.is_meta and buffer.numel() == 1:
                    module._buffers[name] = torch.full(buffer.shape, value, dtype=buffer.dtype)
                    replaced.append((module, name, buffer))
    try:
        yield
    finally:
        for module, name, buffer in replaced:
            module._buffers[name] = buffer


def check_training_fits(
    model_cls: type[nn.Module], config, data: DataBundle, train: TrainConfig, ctx: DistContext
) -> None:
    """Refuse, before allocating, a run whose model or training cannot fit on the device."""
    with torch.random.fork_rng(devices=[]):  # the estimate leaves the seeded streams alone
        model = meta_model(model_cls, config)
        if model is None:
            return
        count = model_bytes(model)[0]
        check_parameter_count(count, "the model options")
        needed = training_bytes(model, data, train, ctx.world_size)
    check_fits(
        sum(needed.values()),
        ctx.device,
        f"training this model ({count:,} parameters, batch {train.batch_size})",
        "lower the model sizes (latent_dim, hidden_channels) or --batch-size",
    )
