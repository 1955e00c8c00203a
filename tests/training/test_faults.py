"""A small version of ``benchmarks/faults.py``: real ``latentforge train`` processes killed with
SIGKILL while they write a checkpoint, then resumed, end bit-identical to an unbroken run; a
second writer is refused while the first trains. Each trial starts two or three Python
processes, so the fast suite runs one; the full table (random moments, a DCGAN, a full disk)
is the benchmark's, and the slow tests run a few more of its trials."""

from __future__ import annotations

import random

import pytest

from tests.training.fault_harness import ft


@pytest.fixture(scope="module")
def unbroken(tmp_path_factory, tiny_npz):
    """A 2-epoch VAE run on 160 images that checkpoints every step, and its ending."""
    setup = ft.Setup("vae", epochs=2, checkpoint_every=1, data=("--data", str(tiny_npz)))
    root = tmp_path_factory.mktemp("faults")
    expected, span = ft.reference(setup, root)
    assert expected is not None and expected["checkpoint"] == "step-00000004"
    return setup, root, expected, span


@pytest.mark.parametrize(
    "kind,nth",
    [
        ("checkpoint", 2),
        pytest.param("checkpoint", 1, marks=pytest.mark.slow),
        pytest.param("latest", 2, marks=pytest.mark.slow),
    ],
)
def test_kill_during_a_checkpoint_write_then_resume_is_bit_identical(unbroken, kind, nth):
    setup, root, expected, _ = unbroken
    trial = ft.kill_trial(setup, root, expected, kind, nth)
    assert "ended first" not in trial.moment  # the kill did land during the write
    assert trial.held, ft.as_dict(trial)


@pytest.mark.slow  # tests/cli/test_run_dir_safety.py checks the lock quicker
def test_a_second_writer_is_refused_while_the_first_trains(unbroken):
    setup, root, expected, _ = unbroken
    trial = ft.two_writers_trial(setup, root, expected)
    assert trial.held, ft.as_dict(trial)


@pytest.mark.slow
@pytest.mark.parametrize("model", ["vae", "dcgan"])
def test_kills_at_random_moments_then_resume_are_bit_identical(tmp_path, tiny_npz, model):
    setup = ft.Setup(model, epochs=2, checkpoint_every=1, data=("--data", str(tiny_npz)))
    expected, span = ft.reference(setup, tmp_path)
    draw = random.Random(0)
    for _ in range(4):
        trial = ft.kill_trial(setup, tmp_path, expected, "random", draw.uniform(0, span))
        assert trial.held, ft.as_dict(trial)
