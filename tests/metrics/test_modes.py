"""Mode coverage and class-frequency KLs against hand computations."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from latentforge.errors import ConfigError, ShapeError
from latentforge.metrics import class_histogram, kl_divergence, mode_coverage


def test_hand_computed_example_with_real_labels() -> None:
    # 4 classes. Generated: 0,0,0,1,1,3 -> counts (3, 2, 0, 1), p = (1/2, 1/3, 0, 1/6).
    # Real: 0,1,2,3 twice each -> r = 1/4 each.
    fake = np.array([0, 0, 0, 1, 1, 3])
    real = np.repeat(np.arange(4), 2)
    result = mode_coverage(fake, real)
    p = np.array([1 / 2, 1 / 3, 1 / 6])
    assert result["num_classes"] == 4
    assert result["histogram"] == [3, 2, 0, 1]
    assert result["classes_covered"] == 3
    assert result["mode_coverage"] == 0.75
    assert result["kl_fake_real"] == pytest.approx(float(np.sum(p * np.log(p / 0.25))))
    assert result["kl_real_fake"] == math.inf  # class 2 is never generated


def test_uniform_real_distribution_by_default() -> None:
    # p = (1/2, 1/2, 0) vs uniform over 3: KL = log(3/2).
    result = mode_coverage(torch.tensor([0, 1, 0, 1]), num_classes=3)
    assert result["kl_fake_real"] == pytest.approx(math.log(1.5))
    assert result["mode_coverage"] == pytest.approx(2 / 3)


def test_scores_are_reduced_by_argmax_and_give_the_class_count() -> None:
    logits = torch.tensor([[2.0, 0.1, -1.0], [0.0, 3.0, 1.0], [0.0, 3.0, 1.0]])
    result = mode_coverage(logits)
    assert result["histogram"] == [1, 2, 0]
    assert result["num_classes"] == 3


def test_minimum_share_and_count() -> None:
    # counts (7, 2, 1) out of 10: with min_share 0.15 class 2 (share 0.1) does not count;
    # with min_count 2 class 2 does not count either; with min_count 3 only class 0 counts.
    fake = np.array([0] * 7 + [1] * 2 + [2])
    assert mode_coverage(fake, num_classes=3)["classes_covered"] == 3
    assert mode_coverage(fake, num_classes=3, min_share=0.15)["classes_covered"] == 2
    assert mode_coverage(fake, num_classes=3, min_count=2)["classes_covered"] == 2
    assert mode_coverage(fake, num_classes=3, min_count=3)["classes_covered"] == 1


def test_smoothing_keeps_reverse_kl_finite() -> None:
    # counts (2, 0) + 1 -> p = (3/4, 1/4); uniform real: KL(r || p) = 1/2 log(2/3) + 1/2 log 2.
    result = mode_coverage(np.array([0, 0]), num_classes=2, smoothing=1.0)
    expected = 0.5 * math.log(0.5 / 0.75) + 0.5 * math.log(0.5 / 0.25)
    assert result["kl_real_fake"] == pytest.approx(expected)
    assert result["mode_coverage"] == 0.5  # coverage counts raw samples, not smoothed ones


def test_perfect_generator() -> None:
    labels = np.tile(np.arange(10), 5)
    result = mode_coverage(labels, labels)
    assert result["mode_coverage"] == 1.0
    assert result["kl_fake_real"] == 0.0 and result["kl_real_fake"] == 0.0


def test_kl_divergence_by_hand() -> None:
    p, q = np.array([0.5, 0.5, 0.0]), np.array([0.25, 0.25, 0.5])
    assert kl_divergence(p, q) == pytest.approx(math.log(2))
    assert kl_divergence(q, p) == math.inf


def test_bad_inputs_fail_early() -> None:
    with pytest.raises(ConfigError, match="num_classes"):
        mode_coverage(np.array([0, 1]))  # labels only: C cannot be inferred safely
    with pytest.raises(ConfigError, match="outside"):
        mode_coverage(np.array([0, 5]), num_classes=3)
    with pytest.raises(ConfigError, match="non-integer"):
        mode_coverage(np.array([0.5, 1.0]), num_classes=3)
    with pytest.raises(ShapeError, match="columns"):
        mode_coverage(np.zeros((4, 3)), num_classes=5)
    with pytest.raises(ShapeError, match="empty"):
        class_histogram(np.array([], dtype=np.int64), 3)
    with pytest.raises(ConfigError, match="min_share"):
        mode_coverage(np.array([0]), num_classes=2, min_share=2.0)
