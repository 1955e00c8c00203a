"""``torchrun`` with gloo CPU processes: 2 processes, and 2 simulated nodes, end with the
weights of 1 process at the same global batch; each process draws its own, reproducible
noise."""

import json
import os
import signal
import subprocess
import sys

import pytest
import torch
from safetensors.torch import load_file

from latentforge.training.checkpoint import latest_checkpoint, load_checkpoint_state
from tests.conftest import FAST_CLI
from tests.training.processes import free_port, wait_for_first_step

STEPS = 200
ARGS = ["--data", "sample", *FAST_CLI]
AE = ["train", "ae", "--latent-dim", "4", "--hidden-channels", "8,16", *ARGS]
# Adam divides by the root of the squared-gradient average, so for a weight whose gradient is
# near zero a summation-order difference (~1e-7 relative, from adding two halves instead of one
# sum) can flip the sign of an update. One Adam step moves a weight by at most about
# lr * (1 - beta1) / sqrt(1 - beta2) = 3.2 lr, so weights within 3 lr = 3e-3 of each other are
# at most one such flip apart (measured after 200 steps: 1.1e-3). The AE's latent Gaussian
# (mean and Cholesky factor of all training codes, fitted after each epoch) sums thousands of
# codes and so carries the weight differences on (measured 1.2e-2). A wrong average (each
# process learning from its own half) ends ~20 away. The SGD test in test_distributed_parts.py
# shows the raw agreement without Adam's amplification.
WEIGHT_TOLERANCE = 3e-3
LATENT_FIT = ("latent_mean", "latent_scale_tril")
LATENT_TOLERANCE = 5e-2


def _run(command, cwd):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=400)
    assert done.returncode == 0, done.stderr[-3000:]


def _one_process(args, cwd):
    _run([sys.executable, "-m", "latentforge", *args], cwd)


def _torchrun(args, cwd, nproc=2, nodes=None):
    """``torchrun`` of ``latentforge args``; ``nodes=(count, rank, port)`` for one node of a
    multi-node launch (static rendezvous on 127.0.0.1)."""
    launch = [sys.executable, "-m", "torch.distributed.run", "--master_addr", "127.0.0.1"]
    if nodes is None:
        launch += ["--nproc_per_node", str(nproc), "--master_port", str(free_port())]
        _run([*launch, "-m", "latentforge", *args], cwd)
        return None
    count, rank, port = nodes
    launch += ["--nnodes", str(count), "--node_rank", str(rank), "--nproc_per_node", "1"]
    launch += ["--master_port", str(port), "-m", "latentforge", *args]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(
        launch, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def _weights(run_dir):
    return load_file(str(latest_checkpoint(run_dir) / "model.safetensors"))


def _distance(a, b, keys=None):
    assert a.keys() == b.keys()
    return max((a[k] - b[k]).abs().max().item() for k in (keys or a))


def _assert_equal_within_tolerance(a, b):
    weights = [k for k in a if k not in LATENT_FIT]
    assert _distance(a, b, weights) < WEIGHT_TOLERANCE
    assert _distance(a, b, LATENT_FIT) < LATENT_TOLERANCE


@pytest.fixture(scope="module")
def one_process(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("one")
    _one_process([*AE, "--max-steps", str(STEPS), "--out", "run"], cwd)
    return _weights(cwd / "run")


@pytest.mark.slow  # torchrun processes: minutes on two busy cores
def test_two_processes_match_one_process_at_the_same_global_batch(tmp_path, one_process):
    _torchrun([*AE, "--max-steps", str(STEPS), "--out", "two"], tmp_path)
    half = [*AE, "--max-steps", str(STEPS), "--out", "half"]
    half[half.index("--batch-size") + 1] = "32"  # one process's share, trained alone
    _one_process(half, tmp_path)
    two, apart = _weights(tmp_path / "two"), _distance(_weights(tmp_path / "half"), one_process)
    _assert_equal_within_tolerance(two, one_process)
    assert apart > 100 * LATENT_TOLERANCE  # the tolerances tell a wrong average from a right one


@pytest.mark.slow  # torchrun processes: minutes on two busy cores
def test_two_nodes_match_one_process(tmp_path, one_process):
    """Two torchrun launches of one process each, joined as 2 nodes on this machine."""
    port = free_port()
    args = [*AE, "--max-steps", str(STEPS), "--out", "nodes"]
    launches = [_torchrun(args, tmp_path, nodes=(2, rank, port)) for rank in (0, 1)]
    for launch in launches:
        _, err = launch.communicate(timeout=400)
        assert launch.returncode == 0, err.decode()[-3000:]
    _assert_equal_within_tolerance(_weights(tmp_path / "nodes"), one_process)


VAE = ["train", "vae", "--latent-dim", "4", "--hidden-channels", "8,16", *ARGS]


@pytest.mark.slow  # torchrun processes: minutes on two busy cores
def test_each_process_draws_its_own_noise_and_draws_it_again_on_resume(tmp_path):
    _torchrun([*VAE, "--max-steps", "8", "--out", "whole"], tmp_path)
    _torchrun([*VAE, "--max-steps", "4", "--out", "broken"], tmp_path)
    _, state = load_checkpoint_state(latest_checkpoint(tmp_path / "broken"))
    rank0, rank1 = state["rng"]["cpu"]
    assert not torch.equal(rank0, rank1)  # two different noise streams
    _torchrun(["train", "vae", "--resume", "broken", "--max-steps", "8"], tmp_path)
    # bit for bit: each process got its own stream back, not rank 0's twice
    assert _distance(_weights(tmp_path / "whole"), _weights(tmp_path / "broken")) == 0.0


@pytest.mark.slow  # torchrun processes: minutes on two busy cores
def test_ctrl_c_under_torchrun_ends_every_process_like_an_epoch(tmp_path):
    """Ctrl-C in a terminal sends SIGINT to torchrun and to every process (one process group),
    and torchrun sends it again; all processes stop after the same cycle, validate, save one
    checkpoint and say how to resume."""
    run = tmp_path / "stopped"
    launch = [sys.executable, "-m", "torch.distributed.run", "--master_addr", "127.0.0.1"]
    launch += ["--nproc_per_node", "2", "--master_port", str(free_port())]
    args = [*AE, "--epochs", "50", "--log-every", "1", "--out", str(run)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen(
        [*launch, "-m", "latentforge", *args],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's job
    )
    try:
        wait_for_first_step(process, run, timeout=240, poll=0.2)
        os.killpg(process.pid, signal.SIGINT)
        _, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert err.count("stopped by Ctrl-C at step") == 1, err[-3000:]  # said once, by rank 0
    assert f"--resume {run}" in err, err[-3000:]
    step = int(err.split("stopped by Ctrl-C at step ")[1].split(";")[0])
    assert int(latest_checkpoint(run).name.split("-")[1]) == step
    _, state = load_checkpoint_state(latest_checkpoint(run))
    assert len(state["rng"]["cpu"]) == 2  # both processes' streams: both reached the save
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert any(r.get("step") == step and "val/loss" in r for r in records)
    assert (run / "report.html").is_file()
