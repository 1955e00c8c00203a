"""GAN training speed on full Fashion-MNIST: the engine against a bare PyTorch loop with the
same networks, batch size and optimisers, in the same process; prints JSON.

    # the throughput ratio (a fraction of an epoch is enough)
    flock /tmp/latentforge-cpu.lock python benchmarks/gan_throughput.py --max-steps 60
    # train for whole epochs and keep the last sample grid of each model
    flock /tmp/latentforge-cpu.lock python benchmarks/gan_throughput.py --models dcgan \
        --epochs 10 --bare-steps 30 --grid-dir docs/images

Engine images/s come from the run's log windows after the first (start-up excluded); the bare
loop times ``--bare-steps`` cycles after ``--warmup`` cycles, once before and once after the
engine run, and the two are averaged. Images/s count real images, i.e. discriminator steps.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import time
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from _data import FASHION_MNIST, add_data_options, dataset_file
from _runs import print_json
from latentforge.models import MODELS
from latentforge.steps.train_config import TrainConfig
from latentforge.training.run import DataConfig, RunConfig, build_for_data, train
from latentforge.utils.run_logs import read_metrics, read_warnings

LOG_EVERY = 10


def bare_optimizer(params, config) -> torch.optim.Optimizer:
    """The optimiser the config names, built by hand (Adam or RMSprop)."""
    if config.optimizer == "rmsprop":
        return torch.optim.RMSprop(params, lr=config.lr)
    return torch.optim.Adam(params, lr=config.lr, betas=(config.beta1, config.beta2))


def bare_loop_images_per_s(
    model_type: str, options: dict, data, batch_size: int, cycles: int, warmup: int
) -> float:
    """Time a hand-written GAN loop with freshly built networks of ``model_type``."""
    model = build_for_data(model_type, options, data)
    c = model.config
    G, D = model.generator, model.discriminator
    opt_d = bare_optimizer(D.parameters(), _with_lr(c, c.lr_d))
    opt_g = bare_optimizer(G.parameters(), _with_lr(c, c.lr_g))
    images = data.train.images  # uint8 (N, C, H, W)
    order = torch.randperm(images.shape[0], generator=torch.Generator().manual_seed(0))
    position = 0

    def next_real() -> torch.Tensor:
        nonlocal position
        if position + batch_size > len(order):
            position = 0
        idx = order[position : position + batch_size]
        position += batch_size
        return images[idx].float().div_(255.0) * 2.0 - 1.0

    def set_grad(module, flag: bool) -> None:
        for p in module.parameters():
            p.requires_grad_(flag)

    def cycle() -> None:
        set_grad(D, True)
        set_grad(G, False)
        for _ in range(c.d_steps):
            real = next_real()
            with torch.no_grad():
                fake = G(torch.randn(batch_size, c.z_dim))
            r, f = D(real), D(fake)
            if c.loss == "non-saturating":
                loss_d = F.softplus(-r).mean() + F.softplus(f).mean()
            elif c.loss.startswith("wasserstein"):
                loss_d = f.mean() - r.mean()
            else:
                raise SystemExit(f"the bare loop knows the preset losses only, not {c.loss}")
            if c.loss == "wasserstein-gp":
                eps = torch.rand(batch_size, 1, 1, 1)
                x = (eps * real + (1 - eps) * fake).requires_grad_(True)
                (grad,) = torch.autograd.grad(D(x).sum(), x, create_graph=True)
                loss_d = loss_d + c.gp_weight * (grad.flatten(1).norm(dim=1) - 1).square().mean()
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
            if c.clip is not None:
                with torch.no_grad():
                    for p in D.parameters():
                        p.clamp_(-c.clip, c.clip)
        set_grad(D, False)
        set_grad(G, True)
        f = D(G(torch.randn(batch_size, c.z_dim)))
        loss_g = F.softplus(-f).mean() if c.loss == "non-saturating" else -f.mean()
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()

    model.train()
    for _ in range(warmup):
        cycle()
    start = time.perf_counter()
    for _ in range(cycles):
        cycle()
    elapsed = time.perf_counter() - start
    return cycles * c.d_steps * batch_size / elapsed


def _with_lr(config, lr: float):
    return argparse.Namespace(
        optimizer=config.optimizer, lr=lr, beta1=config.beta1, beta2=config.beta2
    )


def engine_run(model_type: str, args, run_dir: Path) -> dict[str, Any]:
    """Train with the engine; images/s over the log windows after the first."""
    run = RunConfig(
        model_type=model_type,
        model=args.options,
        data=DataConfig(spec=str(args.data), val_fraction=0.0),
        train=TrainConfig(
            epochs=args.epochs,
            batch_size=args.batch_size,
            max_steps=args.max_steps,
            log_every=LOG_EVERY,
            num_workers=0,
            progress=False,
            tensorboard=False,
            seed=args.seed,
        ),
    )
    start = time.perf_counter()
    train(run, run_dir, overwrite=True)
    wall = time.perf_counter() - start
    records = read_metrics(run_dir)
    logged = [r for r in records if "images_per_s" in r]
    # whole windows only: not the first (start-up) nor one cut by an epoch's start
    windows = [
        cur
        for prev, cur in zip(logged, logged[1:])
        if cur["step"] - prev["step"] == LOG_EVERY and cur["epoch"] == prev["epoch"]
    ]
    epochs = [r for r in records if "epoch_end_s" in r]
    d_steps = MODELS.get(model_type).config_class.from_dict(args.options).d_steps
    images_per_window = LOG_EVERY * d_steps * args.batch_size
    seconds = sum(images_per_window / r["images_per_s"] for r in windows)
    last = logged[-1] if logged else {}
    return {
        "images_per_s": len(windows) * images_per_window / seconds if seconds else None,
        "engine_windows": len(windows),
        "wall_s": wall,
        "steps": last.get("step"),
        "epochs_done": len(epochs),
        "epoch_end_s": [round(r["epoch_end_s"], 2) for r in epochs],
        "last_record": {k: round(v, 4) for k, v in last.items() if k.startswith("train/")},
        "warnings": [f"{w['kind']}@{w['step']}" for w in read_warnings(run_dir)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_data_options(parser, FASHION_MNIST)
    parser.add_argument("--models", default="dcgan,wgan,wgan-gp")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--max-steps", type=int, default=None, help="engine cycles per model")
    parser.add_argument("--bare-steps", type=int, default=30, help="timed bare-loop cycles")
    parser.add_argument("--warmup", type=int, default=3, help="untimed bare-loop cycles")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runs", type=Path, default=Path("runs/bench-gan"))
    parser.add_argument("--grid-dir", type=Path, default=None, help="copy the last grid here")
    parser.add_argument(
        "--options", type=json.loads, default={}, help='model options as JSON, e.g. {"z_dim": 64}'
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the JSON here")
    args = parser.parse_args()
    args.data = dataset_file(args, FASHION_MNIST)

    data = DataConfig(spec=str(args.data), val_fraction=0.0).load(args.seed)
    results: dict[str, Any] = {
        "device": f"cpu ({torch.get_num_threads()} threads), {platform.processor() or 'cpu'}",
        "torch": torch.__version__,
        "train_images": len(data.train),
        "batch_size": args.batch_size,
        "options": args.options,
        "models": {},
    }
    for model_type in args.models.split(","):
        torch.manual_seed(args.seed)
        bare = (args.options, data, args.batch_size, args.bare_steps, args.warmup)
        bare_before = bare_loop_images_per_s(model_type, *bare)
        run_dir = args.runs / model_type
        engine = engine_run(model_type, args, run_dir)
        bare_after = bare_loop_images_per_s(model_type, *bare)
        bare_mean = (bare_before + bare_after) / 2
        engine["bare_images_per_s"] = [round(bare_before, 1), round(bare_after, 1)]
        engine["ratio"] = engine["images_per_s"] / bare_mean if engine["images_per_s"] else None
        grids = sorted((run_dir / "images" / "samples").glob("epoch-*.png"))
        if args.grid_dir is not None and grids:
            target = args.grid_dir / f"{model_type}-fashion-mnist-{engine['epochs_done']}ep.png"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(grids[-1], target)
            engine["grid"] = str(target)
        results["models"][model_type] = engine
        print(json.dumps({model_type: engine}), flush=True)
    print_json(results, args.json)


if __name__ == "__main__":
    main()
