"""Training the small image classifiers that benchmarks use for features and class coverage
(``gan_class_coverage.py``, ``frechet_features.py``, ``restoration_common.py``)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def fit_classifier(
    net: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    epochs: int,
    seed: int,
    batch_size: int,
    lr: float,
) -> nn.Module:
    """Cross-entropy training of ``net`` with Adam on uint8 ``images`` (N, C, H, W), scaled to
    [0, 1], and ``labels``; batches in an order drawn from ``seed``, one order per epoch.
    Returns ``net`` in eval mode."""
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        order = torch.randperm(len(images), generator=generator)
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            loss = F.cross_entropy(net(images[idx].float() / 255.0), labels[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return net.eval()
