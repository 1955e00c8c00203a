"""Super-resolution x4 on the test split: bicubic upsampling, the SRResNet generator trained
on MSE alone, and SRGAN; PSNR, SSIM and a Frechet distance. Prints JSON.

    flock /tmp/latentforge-cpu.lock nice env PYTHONPATH=src python benchmarks/superres.py \
        --task fashion --grid docs/images/srgan-fashion-mnist.png
    flock /tmp/latentforge-cpu.lock nice env PYTHONPATH=src python benchmarks/superres.py \
        --task faces --grid docs/images/srgan-orl-faces.png

Protocol (as the paper, which starts SRGAN from a trained SRResNet): the generator is first
trained on pixel MSE for ``--pretrain-steps`` at ``--pretrain-lr``; from those weights two
runs of ``--steps`` more steps, with the same seed, batches and learning rate (1e-4):

- ``mse``: MSE alone (``--adversarial-weight 0 --feature-extractor none``);
- ``srgan``: MSE + 0.1 x relative feature error of the discriminator's activations +
  1e-3 x adversarial loss (the model's defaults), with a discriminator trained from scratch.

Low-resolution inputs are the 4 x 4 block means of the test images (``--downscale area``);
``bicubic`` upsamples them with ``torch.nn.functional.interpolate(mode="bicubic")``. PSNR and
SSIM are means over images (``latentforge.metrics.image_quality``); the Frechet distance
compares the features of the outputs with those of the true high-resolution images
(``benchmarks/restoration_common.py``; for Fashion-MNIST ``real_vs_real`` gives its value for
two disjoint sets of real test images, the floor set by sampling noise).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from _data import add_data_options, data_dir
from _runs import print_json, torch_and_machine
from latentforge.data import load_data
from latentforge.models import SRGAN, SRGANConfig
from latentforge.nn.sr_nets import bicubic_upscale, downscale
from latentforge.viz.grid import interleave_rows, save_grid
from restoration_common import (
    accuracy,
    frechet,
    pretrain_then_fine_tune,
    quality,
    rounded,
    train_feature_net,
)

TASKS = {
    # data, eval images, feature-net epochs / pooling, batch size
    "fashion": {"data": "fashion-mnist", "eval": 2000, "net_epochs": 2, "pool": 1, "batch": 32},
    "faces": {"data": "orl-faces", "eval": None, "net_epochs": 15, "pool": 2, "batch": 16},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", choices=sorted(TASKS), default="fashion")
    add_data_options(parser)
    parser.add_argument("--pretrain-steps", type=int, default=1500)
    parser.add_argument("--pretrain-lr", type=float, default=1e-3)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--blocks", type=int, default=4)
    parser.add_argument("--d-channels", default="32,64,128,256")
    parser.add_argument("--feature-extractor", default="discriminator")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--grid", type=Path, help="write LR / bicubic / MSE / SRGAN / HR rows")
    args = parser.parse_args()
    args.data_dir = data_dir(args)
    torch.set_num_threads(args.threads)
    task = TASKS[args.task]

    data = load_data(task["data"], data_dir=args.data_dir, val_fraction=0.0, seed=args.seed)
    test = data.test.images[: task["eval"]] if task["eval"] else data.test.images
    hr = test.float() / 255.0
    start = time.perf_counter()
    net = train_feature_net(
        data.train.images, data.train.labels, task["net_epochs"], args.seed, pool=task["pool"]
    )
    net_seconds = time.perf_counter() - start

    common = {
        "image_size": data.image_size,
        "in_channels": data.channels,
        "width": args.width,
        "blocks": args.blocks,
        "d_channels": tuple(int(c) for c in args.d_channels.split(",")),
    }
    mse_only = {"adversarial_weight": 0.0, "feature_extractor": "none"}
    base, models, times = pretrain_then_fine_tune(
        lambda: SRGAN(SRGANConfig(**common, **mse_only, lr_g=args.pretrain_lr)),
        {
            "mse": lambda: SRGAN(SRGANConfig(**common, **mse_only)),
            "srgan": lambda: SRGAN(SRGANConfig(**common, feature_extractor=args.feature_extractor)),
        },
        data,
        args.pretrain_steps,
        args.steps,
        task["batch"],
        args.seed,
    )

    low = downscale(hr, 4, "area")
    outputs = {
        "bicubic": bicubic_upscale(low, 4).clamp(0, 1),
        "pretrained": base.eval().reconstruct(hr),
    }
    outputs.update({name: model.eval().reconstruct(hr) for name, model in models.items()})
    results = {
        name: rounded({**quality(out, hr), "frechet": frechet(net, out, hr)})
        for name, out in outputs.items()
    }
    extra = {}
    if args.task == "fashion":
        other = data.test.images[task["eval"] : 2 * task["eval"]].float() / 255.0
        extra["real_vs_real_frechet"] = round(frechet(net, other, hr), 4)
        extra["feature_net_test_accuracy"] = round(
            accuracy(net, data.test.images.float() / 255, data.test.labels), 4
        )
    if args.grid:
        pick = torch.arange(0, 48, 6) if args.task == "faces" else torch.arange(8)  # 5 people
        shown = [F.interpolate(low[pick], scale_factor=4, mode="nearest")]
        shown += [outputs[k][pick] for k in ("bicubic", "mse", "srgan")] + [hr[pick]]
        save_grid(
            interleave_rows(*shown, per_row=8),
            args.grid,
            nrow=8,
            scale=3 if args.task == "fashion" else 1,
        )
    print_json(
        {
            "task": args.task,
            "eval_images": len(hr),
            "train_images": len(data.train),
            "settings": vars(args)
            | {"grid": str(args.grid), "data_dir": str(args.data_dir), "batch": task["batch"]},
            "seconds": {k: round(v, 1) for k, v in times.items()}
            | {"feature_net": round(net_seconds, 1)},
            "results": results,
            **extra,
            **torch_and_machine(),
        }
    )


if __name__ == "__main__":
    main()
