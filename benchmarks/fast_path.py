"""The engine's fast path against a plain hand-written PyTorch loop, in one process.

For the VAE (latent 16, batch 128) and DCGAN (32x32 images, batch 64) on Fashion-MNIST, each
block trains a fresh model from the same seed on the same batches for ``--block-steps``
steps: first with the plain loop (fp32, NCHW, PyTorch's default Adam, no compilation), then
through the engine with each setting in turn. Blocks repeat ``--blocks`` times, so drift of
a shared machine hits every side alike; each block gives one ratio per setting (its
images/s over the plain loop's in that block), and the JSON reports their min, median and
max. Rates are medians of windows of ``--window`` steps, the first window of each run left
out (warm-up; the engine also leaves compilation time out of its rates and reports it as
``compile_s``). After each block every side's test loss is measured on the same test images.

Settings: ``engine`` (the engine with every fast option off), each option alone
(``channels_last``, ``fused``, ``bf16``, ``compile``), ``default`` (the engine's defaults:
channels-last and fused Adam), ``fast`` (defaults + bf16, the recommended settings on a CPU
with bf16 instructions) and ``fast_compile`` (fast + compile).

    python benchmarks/fast_path.py --models vae,dcgan --blocks 5 --block-steps 30

Prints one JSON object per model and a summary line.
"""

from __future__ import annotations

import argparse
import json
import statistics

import torch

from _data import FASHION_MNIST, add_data_options, dataset_file
from _runs import cpu_train_config, spread
from _throughput import engine_run, fresh_model, timed_steps
from latentforge.data import load_data
from latentforge.data.batching import epoch_permutation
from latentforge.steps.train_config import TrainConfig
from latentforge.training.distributed import DistContext
from latentforge.training.validation import evaluate_losses
from latentforge.utils.seeding import seed_everything

MODELS = {
    "vae": {"options": {"latent_dim": 16}, "batch_size": 128, "image_size": None},
    "dcgan": {"options": {}, "batch_size": 64, "image_size": (32, 32)},
}
OFF = {"channels_last": False, "optimizer_kernel": "loop", "compile": False}
SETTINGS = {
    "engine": OFF,
    "channels_last": {**OFF, "channels_last": True},
    "fused": {**OFF, "optimizer_kernel": "fused"},
    "bf16": {**OFF, "precision": "bf16"},
    "compile": {**OFF, "compile": True},
    "default": {},
    "fast": {"channels_last": True, "optimizer_kernel": "fused", "precision": "bf16"},
    "fast_compile": {
        "channels_last": True,
        "optimizer_kernel": "fused",
        "precision": "bf16",
        "compile": True,
    },
}
TEST_IMAGES = 2000


def test_loss(model, data) -> float:
    """The model's first evaluation loss on the first ``TEST_IMAGES`` test images (seeded)."""
    seed_everything(1)
    test = data.test.subset(torch.arange(min(TEST_IMAGES, len(data.test))))
    values = evaluate_losses(model, test, 500, DistContext())
    return float(values.get("loss", next(iter(values.values()))))


def plain_block(model_type: str, data, cfg: TrainConfig, steps: int, window: int):
    """The loop a user writes by hand: index, scale, then each phase's loss, backward and
    Adam step, the other phases' weights frozen. Returns (window rates, test loss)."""
    model = fresh_model(model_type, MODELS[model_type]["options"], data, cfg.seed)
    phases = model.training_phases(cfg)
    optimizers = [
        torch.optim.Adam(p.parameters, lr=p.optimizer.lr, betas=p.optimizer.betas) for p in phases
    ]
    everything = list(model.parameters())
    images_u8, batch_size = data.train.images, cfg.batch_size
    order = epoch_permutation(len(images_u8), cfg.seed, 0)
    rates, batch_index = [], 0
    for step in timed_steps(steps, window, batch_size, rates):
        for phase, optimizer in zip(phases, optimizers):
            active = {id(p) for p in phase.parameters}
            for p in everything:
                p.requires_grad_(id(p) in active)
            for _ in range(phase.steps_at(step)):
                if phase.uses_data or batch_index == 0:
                    rows = order[batch_index * batch_size : (batch_index + 1) * batch_size]
                    batch = {"images": images_u8[rows].float() / 255}
                    batch_index += 1
                loss = phase.loss(batch).loss
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
    for p in everything:
        p.requires_grad_(True)
    return rates[1:], test_loss(model, data)


def engine_block(model_type: str, data, cfg: TrainConfig, steps: int):
    """The engine with ``cfg``: (window rates, test loss, compile seconds)."""
    model = fresh_model(model_type, MODELS[model_type]["options"], data, cfg.seed)
    records, _ = engine_run(model, data, cfg.replace(epochs=1, max_steps=steps))
    compile_s = sum(r.get("compile_s", 0.0) for r in records)
    return [r["images_per_s"] for r in records][1:], test_loss(model, data), compile_s


def compare(model_type: str, data, settings: list[str], args) -> dict:
    batch_size = MODELS[model_type]["batch_size"]
    base = cpu_train_config(
        batch_size=batch_size,
        lr=1e-3 if model_type == "vae" else 2e-4,
        seed=0,
        log_every=args.window,
    )
    plain_rates, plain_losses = [], []
    rates = {name: [] for name in settings}
    ratios = {name: [] for name in settings}
    losses = {name: [] for name in settings}
    compile_s = {name: [] for name in settings}
    for _ in range(args.blocks):
        windows, loss = plain_block(model_type, data, base, args.block_steps, args.window)
        plain = statistics.median(windows)
        plain_rates.append(plain)
        plain_losses.append(loss)
        for name in settings:
            cfg = base.replace(**SETTINGS[name])
            windows, loss, seconds = engine_block(model_type, data, cfg, args.block_steps)
            rate = statistics.median(windows)
            rates[name].append(rate)
            ratios[name].append(rate / plain)
            losses[name].append(loss)
            compile_s[name].append(seconds)
    return {
        "model": model_type,
        "batch_size": batch_size,
        "image_size": list(data.image_size),
        "blocks": args.blocks,
        "block_steps": args.block_steps,
        "threads": torch.get_num_threads(),
        "plain_images_per_s": round(statistics.median(plain_rates), 1),
        "plain_test_loss": spread(plain_losses),
        "settings": {
            name: {
                "images_per_s": round(statistics.median(rates[name]), 1),
                "ratio": spread(ratios[name]),
                "test_loss": spread(losses[name]),
                **({"compile_s": spread(compile_s[name])} if any(compile_s[name]) else {}),
            }
            for name in settings
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_data_options(parser)
    parser.add_argument("--models", default="vae,dcgan")
    parser.add_argument("--settings", default=",".join(SETTINGS))
    parser.add_argument("--blocks", type=int, default=5)
    parser.add_argument("--block-steps", type=int, default=30)
    parser.add_argument("--window", type=int, default=5)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    fashion = dataset_file(args, FASHION_MNIST)
    settings = args.settings.split(",")
    summary = {}
    for model_type in args.models.split(","):
        data = load_data(
            str(fashion),
            image_size=MODELS[model_type]["image_size"],
            val_fraction=0.1,
            seed=0,
        )
        result = compare(model_type, data, settings, args)
        print(json.dumps(result), flush=True)
        summary[model_type] = {
            name: value["ratio"]["median"] for name, value in result["settings"].items()
        }
    print(json.dumps({"median_ratios": summary, "targets": {"vae": 1.8, "dcgan": 1.5}}))


if __name__ == "__main__":
    main()
