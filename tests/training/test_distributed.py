"""Two processes under torchrun (gloo, CPU) take the same steps as one process with the same
global batch."""

import os
import socket
import subprocess
import sys

import pytest
import torch
from safetensors.torch import load_file

from latentforge.training.checkpoint import latest_checkpoint

ARGS = [
    "train",
    "ae",
    "--data",
    "sample",
    "--latent-dim",
    "4",
    "--hidden-channels",
    "8,16",
    "--batch-size",
    "64",
    "--max-steps",
    "6",
    "--no-progress",
    "--no-tensorboard",
    "--num-workers",
    "0",
    "--device",
    "cpu",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(command, tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.mark.slow  # two torchrun processes: about a minute on two busy cores
def test_two_processes_match_one_process_at_the_same_global_batch(tmp_path):
    _run([sys.executable, "-m", "latentforge", *ARGS, "--out", "one"], tmp_path)
    _run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--nproc_per_node",
            "2",
            "--master_addr",
            "127.0.0.1",
            "--master_port",
            str(_free_port()),
            "-m",
            "latentforge",
            *ARGS,
            "--out",
            "two",
        ],
        tmp_path,
    )
    one = load_file(str(latest_checkpoint(tmp_path / "one") / "model.safetensors"))
    two = load_file(str(latest_checkpoint(tmp_path / "two") / "model.safetensors"))
    start = load_file(str(latest_checkpoint(tmp_path / "one") / "model.safetensors"))
    assert one.keys() == two.keys()
    for key in one:
        assert torch.allclose(one[key], two[key], atol=1e-5, rtol=1e-4), key
    assert start["encoder.head.weight"].abs().sum() > 0
