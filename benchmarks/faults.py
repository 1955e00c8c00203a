"""Fault injection on real training processes: does a run directory survive kill -9, a full
disk and a second writer? (trials in ``benchmarks/fault_trials.py``)

For each model (a tiny VAE and a tiny DCGAN on class 0 of the built-in sample, 2 epochs,
a checkpoint every 5 steps): an unbroken reference run, then

- ``--kills`` kill -9 at moments drawn uniformly over the reference's training time,
- ``--startup-kills`` kill -9 during start-up (before the folder holds a run),
- ``--checkpoint-kills`` kill -9 the moment the k-th checkpoint folder starts being written,
  and as many the moment the k-th ``latest`` pointer starts being written,

each followed by ``--resume`` (or the same command again where the folder held no run yet) and
compared byte for byte with the reference's final checkpoint; plus a disk-full trial (a small
tmpfs, where mounting one is permitted) and a two-writer trial.

    python benchmarks/faults.py --kills 8 --startup-kills 2 --checkpoint-kills 3

Prints one JSON object per trial, then one summary object per model and trial kind.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import tempfile
from collections import defaultdict
from pathlib import Path

import fault_trials as ft


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="vae,dcgan")
    parser.add_argument("--kills", type=int, default=8)
    parser.add_argument("--startup-kills", type=int, default=2)
    parser.add_argument("--checkpoint-kills", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--checkpoint-every", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    draw = random.Random(args.seed)
    root = Path(tempfile.mkdtemp(prefix="latentforge-faults-"))
    mount = ft.can_mount_tmpfs()
    summary: dict[tuple[str, str], list[ft.Trial]] = defaultdict(list)
    try:
        for model in args.models.split(","):
            setup = ft.Setup(model, args.epochs, args.checkpoint_every)
            expected, span = ft.reference(setup, root)
            # moments over 90% of the reference's training time, so that nearly all land
            plan = [("random", draw.uniform(0, 0.9 * span)) for _ in range(args.kills)]
            plan += [("startup", draw.uniform(0, 3.0)) for _ in range(args.startup_kills)]
            for k in range(1, args.checkpoint_kills + 1):
                plan += [("checkpoint", k), ("latest", k)]
            trials = [ft.kill_trial(setup, root, expected, kind, value) for kind, value in plan]
            trials.append(ft.two_writers_trial(setup, root, expected))
            if mount:
                trials.append(ft.disk_full_trial(setup, root, expected))
            for trial in trials:
                print(json.dumps({"model": model, **ft.as_dict(trial)}), flush=True)
                summary[(model, trial.kind)].append(trial)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    for (model, kind), trials in summary.items():
        row = {
            "model": model,
            "trial": kind,
            "runs": len(trials),
            "faults_landed": sum(t.landed for t in trials),
            "bit_identical": sum(t.identical for t in trials),
            "unusable_folders": sum(not t.usable for t in trials),
            "held": sum(t.held for t in trials),
        }
        print(json.dumps(row))
    if not mount:
        print(json.dumps({"disk_full": "skipped: mounting a tmpfs is not permitted here"}))


if __name__ == "__main__":
    main()
