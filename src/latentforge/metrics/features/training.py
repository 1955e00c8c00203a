"""Training a feature classifier: cross-entropy, Adam with a cosine learning-rate decay, and
seeded augmentation (random shifts by up to ``shift`` pixels, optional horizontal flips).

Used by ``benchmarks/train_feature_classifier.py`` (the shipped Fashion-MNIST classifier) and by
``latentforge features fit`` on labelled data. Every random draw comes from ``seed``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor
from tqdm import tqdm

from latentforge.data.base import ImageSet
from latentforge.data.batching import batches_per_epoch, iterate_batches
from latentforge.errors import DataError
from latentforge.nn.classifier import ClassifierConfig, ConvClassifier


@dataclass
class ClassifierTraining:
    epochs: int = 12
    batch_size: int = 256
    lr: float = 2e-3
    weight_decay: float = 1e-4
    shift: int = 2
    flip: bool = False
    seed: int = 0
    device: str = "cpu"
    progress: bool = True


def random_shift(images: Tensor, max_shift: int, generator: torch.Generator) -> Tensor:
    """Translate each image by (dy, dx), uniform in [-max_shift, max_shift]^2, edges replicated."""
    if max_shift == 0:
        return images
    n, _, height, width = images.shape
    padded = F.pad(images, (max_shift,) * 4, mode="replicate")  # (N, C, H + 2s, W + 2s)
    dy, dx = torch.randint(0, 2 * max_shift + 1, (2, n), generator=generator).to(images.device)
    rows = dy[:, None] + torch.arange(height, device=images.device)  # (N, H)
    cols = dx[:, None] + torch.arange(width, device=images.device)  # (N, W)
    batch = torch.arange(n, device=images.device)[:, None, None]
    shifted = padded.permute(0, 2, 3, 1)[batch, rows[:, :, None], cols[:, None, :]]  # (N, H, W, C)
    return shifted.permute(0, 3, 1, 2).contiguous()


def random_flip(images: Tensor, generator: torch.Generator) -> Tensor:
    """Mirror each image left-right with probability 1/2."""
    flip = (torch.rand(images.shape[0], generator=generator) < 0.5).to(images.device)
    return torch.where(flip[:, None, None, None], images.flip(-1), images)


def _require_labels(image_set: ImageSet, what: str) -> Tensor:
    labels = image_set.labels
    if labels is None:
        raise DataError(f"the {what} split has no labels; a classifier needs labelled data")
    return labels


@torch.no_grad()
def classifier_accuracy(
    model: ConvClassifier, image_set: ImageSet, batch_size: int = 1000, device: str = "cpu"
) -> float:
    """Share of ``image_set`` whose arg-max prediction equals its label."""
    _require_labels(image_set, "evaluation")
    was_training = model.training
    model.eval()
    correct = 0
    for batch in iterate_batches(
        image_set, batch_size, device=device, shuffle=False, drop_last=False, num_workers=0
    ):
        correct += int((model(batch["images"]).argmax(1) == batch["labels"]).sum())
    model.train(was_training)
    return correct / len(image_set)


def train_classifier(
    train_set: ImageSet,
    config: ClassifierConfig,
    options: ClassifierTraining,
    val_set: ImageSet | None = None,
) -> tuple[ConvClassifier, list[dict[str, float]]]:
    """Train a :class:`ConvClassifier` on ``train_set``; returns it (eval mode) and a history
    with the mean training loss (and validation accuracy) per epoch."""
    labels = _require_labels(train_set, "training")
    if int(labels.max()) >= config.num_classes:
        raise DataError(
            f"labels go up to {int(labels.max())} but the classifier has {config.num_classes} "
            "classes"
        )
    torch.manual_seed(options.seed)  # the initial weights
    device = torch.device(options.device)
    model = ConvClassifier(config).to(device)
    channels_last = device.type == "cpu"  # much faster convolutions on CPUs
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=options.lr, weight_decay=options.weight_decay
    )
    steps_per_epoch = batches_per_epoch(len(train_set), options.batch_size)
    if steps_per_epoch == 0:
        raise DataError(
            f"batch size {options.batch_size} exceeds the {len(train_set)} training images"
        )
    total = options.epochs * steps_per_epoch
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: 0.5 * (1.0 + math.cos(math.pi * min(step, total) / total))
    )
    generator = torch.Generator().manual_seed(options.seed)
    history: list[dict[str, float]] = []
    for epoch in range(options.epochs):
        model.train()
        loss_sum = 0.0
        batches = iterate_batches(
            train_set, options.batch_size, device=device, seed=options.seed, epoch=epoch,
            num_workers=0,
        )  # fmt: skip
        for batch in tqdm(
            batches,
            total=steps_per_epoch,
            desc=f"classifier epoch {epoch + 1}/{options.epochs}",
            leave=False,
            disable=not options.progress,
        ):
            images = random_shift(batch["images"], options.shift, generator)
            if options.flip:
                images = random_flip(images, generator)
            if channels_last:
                images = images.contiguous(memory_format=torch.channels_last)
            loss = F.cross_entropy(model(images), batch["labels"])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            loss_sum += loss.item()
        record = {"epoch": epoch + 1, "train_loss": loss_sum / steps_per_epoch}
        if val_set is not None and val_set.labels is not None:
            record["val_accuracy"] = classifier_accuracy(model, val_set, device=options.device)
        history.append(record)
    model = model.to(memory_format=torch.contiguous_format).cpu().eval()
    return model, history
