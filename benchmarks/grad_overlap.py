"""Gradient averaging overlapped with backward against the flat all-reduce after it, in two
gloo CPU processes (one thread each) training through the engine on Fashion-MNIST.

For the VAE (latent 16, global batch 128) and DCGAN (32x32, global batch 64), each block trains
a fresh model from the same seed for ``--block-steps`` steps once per setting: ``flat``
(``--grad-bucket-mb 0``: one all-reduce after backward) and buckets of each size in
``--buckets`` MB (sent while backward runs). After one uncounted warm-up run, blocks repeat
``--blocks`` times with the order of the settings rotated, so drift of a shared machine hits
every side alike. Each block gives one ratio per setting: its images/s (median of the windows
of ``--window`` steps, the first left out) over the flat run's in the same block. The JSON also
reports the share of the time the processes spent waiting for averaged gradients
(``grad_sync_share``: transfer not hidden behind backward, plus waiting for the slower process)
and the largest weight difference from the flat run after the same steps (the averages are the
same numbers, summed in another order).

    python benchmarks/grad_overlap.py --models vae,dcgan --blocks 5 --block-steps 40

Prints one JSON object per model and a summary line.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import tempfile

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from _data import FASHION_MNIST, add_data_options, data_dir
from _runs import cpu_train_config, rate_records, spread
from latentforge.data import load_data
from latentforge.data.base import DataBundle
from latentforge.training.distributed import DistContext
from latentforge.training.engine import Trainer
from latentforge.training.run import build_for_data
from latentforge.utils.seeding import seed_everything

MODELS = {
    "vae": {"options": {"latent_dim": 16}, "batch_size": 128, "image_size": None, "lr": 1e-3},
    "dcgan": {"options": {}, "batch_size": 64, "image_size": (32, 32), "lr": 2e-4},
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _train(model_type: str, data: DataBundle, bucket_mb: float, args, rank: int, run_dir: str):
    """One engine run on this process; returns its trainer."""
    spec = MODELS[model_type]
    seed_everything(0)
    model = build_for_data(model_type, spec["options"], data)
    cfg = cpu_train_config(
        batch_size=spec["batch_size"],
        lr=spec["lr"],
        max_steps=args.block_steps,
        log_every=args.window,
        grad_bucket_mb=bucket_mb,
    )
    trainer = Trainer(model, data, cfg, run_dir, DistContext(rank, 2))
    trainer.fit()
    return trainer


def _compare(model_type: str, args, rank: int, folder: str) -> dict | None:
    spec = MODELS[model_type]
    full = load_data(
        str(data_dir(args) / FASHION_MNIST),
        image_size=spec["image_size"],
        val_fraction=0.1,
        seed=0,
    )
    data = DataBundle(full.name, full.train, None)  # no validation pass: steps only
    settings = {"flat": 0.0, **{f"{mb:g}MB": mb for mb in args.buckets}}
    names = list(settings)
    rates = {name: [] for name in names}
    shares = {name: [] for name in names}
    ratios = {name: [] for name in names}
    weight_diffs = {name: [] for name in names}
    buckets = {}
    _train(model_type, data, 0.0, args, rank, f"{folder}/{model_type}-warm-up")  # not counted
    for block in range(args.blocks):
        order = names[block % len(names) :] + names[: block % len(names)]
        block_rates, weights = {}, {}
        for name in order:
            run_dir = f"{folder}/{model_type}-{name}-{block}"
            trainer = _train(model_type, data, settings[name], args, rank, run_dir)
            model = trainer.model
            if rank != 0:
                continue
            records = rate_records(run_dir)[1:]
            block_rates[name] = statistics.median(r["images_per_s"] for r in records)
            shares[name].append(statistics.median(r["grad_sync_share"] for r in records))
            weights[name] = {k: v.detach().clone() for k, v in model.state_dict().items()}
            buckets[name] = sum(len(runner.averager.buckets) for runner in trainer.runners)
        if rank != 0:
            continue
        for name in names:
            rates[name].append(block_rates[name])
            ratios[name].append(block_rates[name] / block_rates["flat"])
            weight_diffs[name].append(
                max(
                    (weights[name][k].float() - weights["flat"][k].float()).abs().max().item()
                    for k in weights["flat"]
                )
            )
    if rank != 0:
        return None
    return {
        "model": model_type,
        "processes": 2,
        "threads_per_process": torch.get_num_threads(),
        "global_batch": spec["batch_size"],
        "blocks": args.blocks,
        "block_steps": args.block_steps,
        "parameters_mb": round(
            sum(p.numel() * p.element_size() for p in model.parameters()) / 2**20, 3
        ),
        "settings": {
            name: {
                "buckets": buckets[name],
                "images_per_s": round(statistics.median(rates[name]), 1),
                "ratio_to_flat": spread(ratios[name], 4),
                "grad_sync_share": spread(shares[name], 4),
                "max_weight_diff_vs_flat": max(weight_diffs[name]),
            }
            for name in names
        },
    }


def _worker(rank: int, port: int, args, folder: str, out: str) -> None:
    os.environ.update(
        MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE="2"
    )
    torch.set_num_threads(1)
    dist.init_process_group("gloo")
    try:
        results = [_compare(m, args, rank, folder) for m in args.models.split(",")]
        if rank == 0:
            with open(out, "w") as f:
                json.dump(results, f)
    finally:
        dist.destroy_process_group()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_data_options(parser)
    parser.add_argument("--models", default="vae,dcgan")
    parser.add_argument(
        "--buckets", default="0.25,1,4", help="bucket sizes in MB to compare with flat"
    )
    parser.add_argument("--blocks", type=int, default=5)
    parser.add_argument("--block-steps", type=int, default=40)
    parser.add_argument("--window", type=int, default=5)
    args = parser.parse_args()
    args.buckets = [float(mb) for mb in args.buckets.split(",")]
    data_dir(args)  # fail early, in one line, when there is no dataset folder
    with tempfile.TemporaryDirectory() as folder:
        out = f"{folder}/results.json"
        mp.spawn(_worker, args=(_free_port(), args, folder, out), nprocs=2, join=True)
        with open(out) as f:
            results = json.load(f)
    for result in results:
        print(json.dumps(result), flush=True)
    summary = {
        r["model"]: {name: s["ratio_to_flat"]["median"] for name, s in r["settings"].items()}
        for r in results
    }
    print(json.dumps({"median_ratio_to_flat": summary}))


if __name__ == "__main__":
    main()
