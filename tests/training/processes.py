"""Run a function in several CPU processes joined by a gloo process group, with a timeout, so
a test of multi-process code fails instead of hanging; the tensors each process saves for the
test to read; waiting for a training subprocess to take its first step."""

from __future__ import annotations

import multiprocessing
import os
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _entry(rank: int, world_size: int, port: int, target: Callable, args: tuple) -> None:
    os.environ.update(
        MASTER_ADDR="127.0.0.1",
        MASTER_PORT=str(port),
        RANK=str(rank),
        LOCAL_RANK=str(rank),
        WORLD_SIZE=str(world_size),
        OMP_NUM_THREADS="1",
    )
    import torch
    import torch.distributed as dist

    torch.set_num_threads(1)
    dist.init_process_group("gloo")
    try:
        target(rank, world_size, *args)
    finally:
        if dist.is_initialized():  # a target that trains ends the group itself
            dist.destroy_process_group()


def run_processes(target: Callable, world_size: int, *args, timeout: float = 120.0) -> None:
    """``target(rank, world_size, *args)`` in ``world_size`` fresh processes; fails when one
    fails or when they are not all done within ``timeout`` seconds (then they are ended)."""
    context = multiprocessing.get_context("spawn")
    port = free_port()
    processes = [
        context.Process(target=_entry, args=(rank, world_size, port, target, args))
        for rank in range(world_size)
    ]
    for process in processes:
        process.start()
    deadline = time.monotonic() + timeout
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
    hung = [p for p in processes if p.is_alive()]
    for process in hung:
        process.kill()
        process.join()
    assert not hung, f"{len(hung)} of {world_size} processes still waiting after {timeout} s"
    codes = [p.exitcode for p in processes]
    assert codes == [0] * world_size, f"exit codes {codes}"


def save_rank_tensors(out: str | Path, rank: int, tensors: dict) -> None:
    """Process ``rank``'s tensors (name -> tensor) into ``out/rank{rank}.safetensors``."""
    from safetensors.torch import save_file

    save_file({k: v.contiguous() for k, v in tensors.items()}, f"{out}/rank{rank}.safetensors")


def load_rank_tensors(out: str | Path, world_size: int) -> list[dict]:
    """What each of ``world_size`` processes saved with ``save_rank_tensors``, rank by rank."""
    from safetensors.torch import load_file

    return [load_file(str(Path(out) / f"rank{rank}.safetensors")) for rank in range(world_size)]


def wait_for_first_step(
    process: subprocess.Popen, run: Path, timeout: float, poll: float = 0.1
) -> None:
    """Wait until ``process``, training into the folder ``run``, has logged a step; fails when
    the process ends first or when ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while not (run / "metrics.jsonl").is_file():  # training has taken its first step
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "training did not start"
        time.sleep(poll)
