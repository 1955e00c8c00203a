"""How fast the explorer answers, over real HTTP on loopback. Prints JSON.

    python benchmarks/explorer_latency.py --out /tmp/explorer-latency.json

Measured, each against a real uvicorn server in this process:
- ``slider``: one slider move, from the request to the decoded PNG received, p50 / p95 over
  ``--moves`` moves, for the 28x28 VAE of ``make demo`` (latent 16) and a 64x64 DCGAN (z 100);
  one client, keep-alive, as the page does it (one request in flight).
- ``map``: the latent map of 10,000 images (the built-in sample kept whole as the training
  split): the first request (encoding, anomaly scores, the threshold fitted on 2,000 training
  images, the rarity histogram, PCA) until its JSON is parsed, and the same request again
  (cached).
- ``concurrent``: ``--clients`` clients (threads) each making ``--moves-each`` slider moves on
  the 28x28 VAE at once: p50 / p95 of every move.

Targets (the issue): slider p95 < 50 ms (28x28), < 150 ms (64x64); with 20 clients p95 < 500 ms.
The weights are untrained (one step): latency does not depend on them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import torch

from latentforge.explorer.server import load_runs, serving_in_thread
from latentforge.steps.train_config import TrainConfig
from latentforge.training.run import DataConfig, RunConfig, train


def one_step_run(root: Path, name: str, model_type: str, model: dict, size) -> Path:
    config = TrainConfig(
        epochs=1, max_steps=1, batch_size=16, device="cpu", progress=False,
        tensorboard=False, num_workers=0, log_every=1,
    )  # fmt: skip
    data = DataConfig(spec="sample", image_size=size, val_fraction=0.0)
    return train(RunConfig(model_type, model, data, config), root / name)


def percentiles(seconds: list[float]) -> dict[str, float]:
    ms = np.asarray(seconds) * 1000.0
    return {
        "count": int(ms.size),
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p95_ms": round(float(np.percentile(ms, 95)), 2),
        "max_ms": round(float(ms.max()), 2),
    }


def slider_moves(client: httpx.Client, run: str, moves: int, seed: int) -> list[float]:
    """Move one coordinate of a sampled code step by step; the time of each decode."""
    sliders = client.get(f"/api/runs/{run}/sliders").json()
    z = np.array(client.get(f"/api/runs/{run}/samples?n=1&seed={seed}").json()["codes"][0])
    direction = np.array(sliders["sliders"][0]["direction"])
    times = []
    for step in range(moves):
        code = z + np.sin(step / 7.0) * 2.0 * direction
        start = time.perf_counter()
        response = client.post(f"/api/runs/{run}/decode", json={"z": code.tolist()})
        _ = response.content
        times.append(time.perf_counter() - start)
        if response.status_code != 200:
            raise RuntimeError(response.text)
    return times


def concurrent_moves(url: str, run: str, clients: int, moves: int) -> list[float]:
    results: list[list[float]] = [[] for _ in range(clients)]
    barrier = threading.Barrier(clients)

    def client_thread(i: int) -> None:
        with httpx.Client(base_url=url, timeout=60) as client:
            client.get(f"/api/runs/{run}")
            barrier.wait()
            results[i] = slider_moves(client, run, moves, seed=i)

    threads = [threading.Thread(target=client_thread, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [t for r in results for t in r]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--moves", type=int, default=300, help="slider moves per model")
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients")
    parser.add_argument("--moves-each", type=int, default=30, help="moves per client")
    parser.add_argument("--map-images", type=int, default=10000, help="points of the map")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: all)")
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        vae = one_step_run(root, "vae", "vae", {"latent_dim": 16}, None)
        dcgan = one_step_run(root, "dcgan64", "dcgan", {}, (64, 64))
        runs = load_runs([vae, dcgan], "train", None, "cpu")
        with serving_in_thread(runs) as url, httpx.Client(base_url=url, timeout=120) as client:
            for run in ("r0", "r1"):  # warm up: the sliders' directions, first decodes
                slider_moves(client, run, 10, seed=99)
            result = {
                "machine": {
                    "cpus": os.cpu_count(),
                    "torch_threads": torch.get_num_threads(),
                    "load_average_1m": round(os.getloadavg()[0], 2),
                },
                "slider_28x28_vae": percentiles(slider_moves(client, "r0", args.moves, 0)),
                "slider_64x64_dcgan": percentiles(slider_moves(client, "r1", args.moves, 0)),
            }
            start = time.perf_counter()
            points = client.get(f"/api/runs/r0/map?limit={args.map_images}").json()
            first = time.perf_counter() - start
            start = time.perf_counter()
            client.get(f"/api/runs/r0/map?limit={args.map_images}").json()
            result["map"] = {
                "points": points["count"],
                "first_s": round(first, 3),
                "cached_s": round(time.perf_counter() - start, 3),
            }
            moves = concurrent_moves(url, "r0", args.clients, args.moves_each)
            result["concurrent_28x28_vae"] = {"clients": args.clients, **percentiles(moves)}
            result["machine"]["load_average_1m_after"] = round(os.getloadavg()[0], 2)
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
