"""Validation losses over a whole split, averaged over images and processes."""

from __future__ import annotations

import torch

from latentforge.data.base import ImageSet
from latentforge.data.batching import iterate_batches
from latentforge.models.base import GenerativeModel
from latentforge.steps.hooks import BatchTransform
from latentforge.training.distributed import DistContext, sum_over_processes


@torch.no_grad()
def evaluate_losses(
    model: GenerativeModel,
    image_set: ImageSet,
    batch_size: int,
    ctx: DistContext,
    num_workers: int = 0,
    batch_transform: BatchTransform | None = None,
) -> dict[str, float]:
    """Mean of ``model.evaluation_losses`` over ``image_set`` (each process takes a share)."""
    was_training = model.training
    model.eval()
    sums: dict[str, torch.Tensor] = {}
    count = torch.zeros((), dtype=torch.float64)
    for batch in iterate_batches(
        image_set,
        batch_size,
        device=ctx.device,
        shuffle=False,
        drop_last=False,
        rank=ctx.rank,
        world_size=ctx.world_size,
        num_workers=num_workers,
    ):
        if batch_transform is not None:
            batch = batch_transform(batch)
        n = batch["images"].shape[0]
        if n == 0:
            continue
        for key, value in model.evaluation_losses(batch).items():
            sums[key] = sums.get(key, 0.0) + value.detach().double().cpu() * n
        count += n
    model.train(was_training)
    if not sums:
        return {}
    keys = sorted(sums)
    totals = sum_over_processes(torch.stack([*(sums[k] for k in keys), count]), ctx)
    return {k: (totals[i] / totals[-1]).item() for i, k in enumerate(keys)}
