"""The GAN health monitor on synthetic record streams: each warning fires on a stream built
to fail that way, once, after its patience, and a healthy stream stays quiet."""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import pytest

from latentforge.steps.health import (
    DIVERGENCE,
    MODE_COLLAPSE,
    NON_CONVERGENCE,
    UNBALANCED,
    VANISHING,
    GANHealthMonitor,
    HealthThresholds,
)

D, G = "train/discriminator/", "train/generator/"


def healthy(step: int, rng: random.Random) -> dict[str, float]:
    """A record of a GAN in balance: D right 60-80% of the time, steady gradients, diverse."""
    return {
        "step": step,
        D + "loss": 1.0 + 0.2 * rng.random(),
        D + "accuracy": 0.6 + 0.2 * rng.random(),
        D + "loss_vs_chance": 0.5 + 0.3 * rng.random(),
        D + "score_scale": 1.5 + rng.random(),
        G + "loss": 1.0 + 0.5 * rng.random(),
        G + "grad_norm": 2.0 + rng.random(),
        G + "diversity": 0.8 + 0.15 * rng.random(),
    }


def replay(records: list[dict], thresholds: HealthThresholds | None = None) -> list[tuple]:
    monitor = GANHealthMonitor(thresholds=thresholds)
    return [(w.kind, w.step) for r in records for w in monitor.observe(r, int(r["step"]))]


def stream(n_healthy: int, n_bad: int, change: dict, start: int = 0, seed: int = 0) -> list:
    """``n_healthy`` healthy records, then ``n_bad`` with ``change`` applied (value or
    function of the record index within the bad stretch); steps 1000, 1050, ..."""
    rng = random.Random(seed)
    records = []
    for i in range(n_healthy + n_bad):
        record = healthy(start + 50 * i, rng)
        if i >= n_healthy:
            for key, value in change.items():
                record[key] = value(i - n_healthy) if callable(value) else value
        records.append(record)
    return records


def test_a_long_healthy_run_stays_quiet() -> None:
    assert replay(stream(400, 0, {}, seed=1)) == []


def test_vanishing_gradients_fire_when_grad_collapses_while_d_is_always_right() -> None:
    bad = {D + "accuracy": 0.99, G + "grad_norm": lambda i: 0.2 * 0.5**i}
    records = stream(10, 6, bad, start=2000)
    patience = HealthThresholds().patience
    assert replay(records) == [(VANISHING, records[10 + patience - 1]["step"])]


def test_the_slow_gradient_decline_of_a_healthy_run_is_not_vanishing() -> None:
    # D right 96% of the time while the gradient falls 50 -> 2 (4%) over 400 records
    slow = {D + "accuracy": 0.96, G + "grad_norm": lambda i: 50.0 * 0.04 ** (i / 400)}
    assert replay(stream(0, 400, slow, start=2000)) == []


@pytest.mark.parametrize(
    "change",
    [
        {D + "accuracy": 0.99},  # D always right but the gradient is fine (non-saturating)
        {G + "grad_norm": 0.01, D + "accuracy": 0.7},  # small gradient, D not winning
    ],
)
def test_no_vanishing_warning_without_both_signs(change) -> None:
    assert replay(stream(10, 8, change, start=2000)) == []


def test_mode_collapse_fires_when_diversity_falls() -> None:
    records = stream(5, 5, {G + "diversity": 0.1}, start=0)  # steps < grace: it had been diverse
    assert replay(records) == [(MODE_COLLAPSE, records[5 + 2]["step"])]


def test_low_diversity_at_the_start_is_forgiven_until_the_grace_period_ends() -> None:
    t = HealthThresholds(grace_steps=500)
    records = stream(0, 20, {G + "diversity": 0.1})  # steps 0 .. 950, never diverse
    warnings = replay(records, t)
    assert warnings == [(MODE_COLLAPSE, 600)]  # steps 500, 550, 600: three records past grace
    rising = stream(0, 20, {G + "diversity": lambda i: 0.1 + 0.04 * i})  # 0.1 -> 0.86
    assert replay(rising, t) == []


def test_unbalanced_updates_fire_after_a_long_stretch_either_way() -> None:
    long = HealthThresholds().long_patience
    for value in (0.03, 2.0):  # the discriminator dominates / the generator dominates
        records = stream(5, long, {D + "loss_vs_chance": value}, start=2000)
        assert replay(records) == [(UNBALANCED, records[-1]["step"])]
        assert replay(records[:-1]) == []  # one record short of the stretch: quiet


def test_critics_without_a_chance_level_are_not_judged_for_balance() -> None:
    records = stream(5, 20, {}, start=2000)
    for record in records:
        del record[D + "loss_vs_chance"]
    assert replay(records) == []


def test_exploding_scores_are_divergence() -> None:
    records = stream(5, 4, {D + "score_scale": lambda i: 300.0 * 10**i}, start=2000)
    assert replay(records) == [(DIVERGENCE, records[5 + 2]["step"])]


def test_non_finite_values_are_divergence_at_once() -> None:
    records = stream(5, 1, {G + "grad_norm": float("inf")}, start=2000)
    assert replay(records) == [(DIVERGENCE, records[-1]["step"])]
    records = stream(5, 1, {D + "loss": "nan"}, start=2000)  # as read back from JSON
    assert replay(records) == [(DIVERGENCE, records[-1]["step"])]


def test_oscillation_without_settling_is_non_convergence() -> None:
    swing = {D + "accuracy": lambda i: 0.97 if (i // 2) % 2 == 0 else 0.35}
    records = stream(5, 12, swing, start=2000)
    warnings = replay(records)
    assert [kind for kind, _ in warnings] == [NON_CONVERGENCE]
    # four turns: D, D, G, G, D, D, G, G, D -> the ninth bad record
    assert warnings[0][1] == records[5 + 8]["step"]


def test_a_warning_fires_again_only_after_its_condition_cleared() -> None:
    bad = {G + "diversity": 0.1}
    records = stream(3, 5, bad) + stream(2, 5, bad, start=400, seed=2)
    kinds = [kind for kind, _ in replay(records)]
    assert kinds == [MODE_COLLAPSE, MODE_COLLAPSE]


def test_messages_name_the_failure_and_what_to_try() -> None:
    monitor = GANHealthMonitor(thresholds=HealthThresholds(patience=1))
    record = healthy(5000, random.Random(0))
    record.update({D + "accuracy": 1.0, G + "grad_norm": 1e-4, G + "diversity": 0.05})
    monitor.recent_grad_norms.append(3.0)
    warnings = monitor.observe(record, 5000)
    assert {w.kind for w in warnings} == {VANISHING, MODE_COLLAPSE}
    for w in warnings:
        assert w.message.startswith(w.kind.replace("-", " ")) and "Try" in w.message
        assert w.step == 5000


def test_the_records_of_a_real_healthy_run_stay_quiet() -> None:
    """The monitor's inputs every 10 cycles of the 10-epoch DCGAN run on Fashion-MNIST that
    made docs/images/dcgan-fashion-mnist-10ep.png (benchmarks/gan_throughput.py)."""
    path = Path(__file__).parent / "data" / "dcgan_fashion_mnist_10ep.jsonl.gz"
    with gzip.open(path, "rt") as handle:
        records = [json.loads(line) for line in handle]
    assert len(records) == 468 and records[-1]["step"] == 4680
    assert replay(records) == []
    # the same records, the generator's gradient cut to 1% after step 3000 while D is sure:
    broken = [
        {**r, G + "grad_norm": r[G + "grad_norm"] / 100, D + "accuracy": 0.99}
        if r["step"] > 3000
        else r
        for r in records
    ]
    assert [kind for kind, _ in replay(broken)] == [VANISHING]
