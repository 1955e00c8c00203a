"""Training throughput of the engine against a bare PyTorch loop, same networks, same data.

Trains the AE and the VAE on Fashion-MNIST through the latentforge engine, and in the same
process runs a hand-written loop (same model object type, same initial weights, same batch
order, Adam) over the same images. Both are timed the same way: images per second over
windows of ``--window`` steps, the first window of each epoch left out as warm-up. Runs
alternate (engine, bare, engine, bare, ...) so that machine noise hits both alike.

    python benchmarks/train_throughput.py --epochs 1 --repeats 2

On a machine whose speed drifts (a shared virtual machine), whole-epoch alternation lets the
drift fall on one side; ``--blocks R`` instead alternates R short blocks of ``--block-steps``
steps (engine, bare, engine, ...), each a fresh model from the same seed, and compares the
medians of their steady windows: drift then hits both sides alike.

    python benchmarks/train_throughput.py --blocks 5 --block-steps 150

Prints one JSON object per model and a summary line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch

from _data import FASHION_MNIST, add_data_options, dataset_file
from _runs import cpu_train_config
from _throughput import engine_run, fresh_model, timed_steps
from latentforge.data import load_data
from latentforge.data.batching import epoch_permutation
from latentforge.training.distributed import DistContext
from latentforge.training.validation import evaluate_losses


def engine_epochs(model_type, options, data, train_cfg, epochs) -> dict:
    model = fresh_model(model_type, options, data, train_cfg.seed)
    cfg = train_cfg.replace(epochs=epochs)
    records, wall = engine_run(model, data, cfg)
    rates = _steady_rates(records, cfg.log_every, data, cfg)
    test = evaluate_losses(model, data.test, 500, DistContext())
    return {"images_per_s": rates, "seconds_per_epoch": wall / epochs, "test": test}


def _steady_rates(records, log_every, data, cfg) -> list[float]:
    per_epoch = len(data.train) // cfg.batch_size
    return [r["images_per_s"] for r in records if (r["step"] - 1) % per_epoch >= log_every]


def bare_steps(model, optimizer, images_u8, order, steps, batch_size, window) -> list[float]:
    """The loop a user would write by hand: index, scale, forward, backward, step. Returns the
    images/s of every window of ``window`` steps; callers drop the first (warm-up)."""
    rates = []
    for step in timed_steps(steps, window, batch_size, rates):
        images = images_u8[order[step * batch_size : (step + 1) * batch_size]].float() / 255
        loss = model.loss(images).loss
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return rates


def bare_epochs(model_type, options, data, train_cfg, epochs, window) -> dict:
    """Whole epochs of the bare loop, with the validation pass the engine also makes."""
    model = fresh_model(model_type, options, data, train_cfg.seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=train_cfg.lr)
    images_u8, batch_size = data.train.images, train_cfg.batch_size
    rates, start = [], time.perf_counter()
    for epoch in range(epochs):
        order = epoch_permutation(len(images_u8), train_cfg.seed, epoch)
        steps = len(images_u8) // batch_size
        rates += bare_steps(model, optimizer, images_u8, order, steps, batch_size, window)[1:]
        with torch.no_grad():
            model.eval()
            evaluate_losses(model, data.val, 500, DistContext())
            model.train()
    wall = time.perf_counter() - start
    test = evaluate_losses(model, data.test, 500, DistContext())
    return {"images_per_s": rates, "seconds_per_epoch": wall / epochs, "test": test}


def engine_block(model_type, options, data, train_cfg, steps: int) -> list[float]:
    """Images/s of the engine's windows in a run of ``steps`` steps, the first window left out."""
    model = fresh_model(model_type, options, data, train_cfg.seed)
    records, _ = engine_run(model, data, train_cfg.replace(epochs=1, max_steps=steps))
    return [r["images_per_s"] for r in records][1:]


def bare_block(model_type, options, data, train_cfg, steps: int, window: int) -> list[float]:
    """The bare loop's images/s over windows of ``window`` steps, the first left out."""
    model = fresh_model(model_type, options, data, train_cfg.seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=train_cfg.lr)
    images_u8 = data.train.images
    order = epoch_permutation(len(images_u8), train_cfg.seed, 0)
    return bare_steps(model, optimizer, images_u8, order, steps, train_cfg.batch_size, window)[1:]


def interleaved(model_type, options, data, cfg, args) -> dict:
    engine, bare = [], []
    for _ in range(args.blocks):
        engine.append(
            statistics.median(engine_block(model_type, options, data, cfg, args.block_steps))
        )
        bare.append(
            statistics.median(
                bare_block(model_type, options, data, cfg, args.block_steps, args.window)
            )
        )
    e_rate, b_rate = statistics.median(engine), statistics.median(bare)
    return {
        "model": model_type,
        "mode": "interleaved blocks",
        "blocks": args.blocks,
        "block_steps": args.block_steps,
        "batch_size": cfg.batch_size,
        "threads": torch.get_num_threads(),
        "engine_images_per_s": round(e_rate, 1),
        "bare_images_per_s": round(b_rate, 1),
        "engine_blocks": [round(r, 1) for r in engine],
        "bare_blocks": [round(r, 1) for r in bare],
        "ratio": round(e_rate / b_rate, 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_data_options(parser, FASHION_MNIST)
    parser.add_argument("--models", default="ae,vae")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--latent-dim", type=int, default=16)
    parser.add_argument("--window", type=int, default=50)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    parser.add_argument("--blocks", type=int, default=0, help="interleave this many short blocks")
    parser.add_argument("--block-steps", type=int, default=150)
    args = parser.parse_args()
    args.data = dataset_file(args, FASHION_MNIST)
    if args.threads:
        torch.set_num_threads(args.threads)
    data = load_data(args.data, val_fraction=0.1, seed=0)
    cfg = cpu_train_config(batch_size=args.batch_size, lr=1e-3, seed=0, log_every=args.window)
    summary = {}
    for model_type in args.models.split(","):
        options = {"latent_dim": args.latent_dim}
        if args.blocks:
            result = interleaved(model_type, options, data, cfg, args)
            summary[model_type] = result["ratio"]
            print(json.dumps(result), flush=True)
            continue
        engine, bare = [], []
        for _ in range(args.repeats):
            engine.append(engine_epochs(model_type, options, data, cfg, args.epochs))
            bare.append(bare_epochs(model_type, options, data, cfg, args.epochs, args.window))
        e_rate = statistics.median(r for run in engine for r in run["images_per_s"])
        b_rate = statistics.median(r for run in bare for r in run["images_per_s"])
        result = {
            "model": model_type,
            "train_images": len(data.train),
            "batch_size": args.batch_size,
            "epochs": args.epochs,
            "repeats": args.repeats,
            "threads": torch.get_num_threads(),
            "engine_images_per_s": round(e_rate, 1),
            "bare_images_per_s": round(b_rate, 1),
            "ratio": round(e_rate / b_rate, 4),
            "engine_seconds_per_epoch": round(
                statistics.median(r["seconds_per_epoch"] for r in engine), 2
            ),
            "bare_seconds_per_epoch": round(
                statistics.median(r["seconds_per_epoch"] for r in bare), 2
            ),
            "engine_test_loss": round(engine[-1]["test"]["loss"], 3),
            "bare_test_loss": round(bare[-1]["test"]["loss"], 3),
        }
        summary[model_type] = result["ratio"]
        print(json.dumps(result), flush=True)
    print(json.dumps({"ratios": summary, "target": 0.97}))


if __name__ == "__main__":
    main()
