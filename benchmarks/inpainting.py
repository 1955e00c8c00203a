"""Face inpainting on ORL subjects never seen in training: PSNR and SSIM inside the hole for
mean fill, harmonic (Laplace) fill, the completion network trained on the hole's squared
error alone, and the same network trained with the global + local adversary. Prints JSON.

    flock /tmp/latentforge-cpu.lock nice env PYTHONPATH=src python benchmarks/inpainting.py \
        --grid docs/images/inpainting-orl-faces.png

Training: the 350 faces of subjects 0..34 with ``--mask mixed`` holes (``--hole-size`` 0.5).
The completion network first trains on the hole's squared error for ``--pretrain-steps`` at
``--pretrain-lr``; from those weights two runs of ``--steps`` more steps with the same seed,
batches and learning rate: ``l2`` (squared error alone, ``--adversarial-weight 0``) and
``gan`` (squared error + 1e-3 x the adversarial loss of a global + local discriminator
trained from scratch), as Iizuka et al. train the completion network alone before the
adversarial phase.

Test: the 50 faces of subjects 35..39, each with a centre hole (0.5 of each side: 56 x 46),
random rectangles and free-form strokes drawn with seed ``--mask-seed``
(``latentforge.data.masks``). PSNR and SSIM are computed inside the hole only
(``latentforge.metrics.hole_quality``), then averaged over images (SSIM over the images whose
hole has a window centred in it).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from _data import add_data_options, data_dir
from _runs import print_json, torch_and_machine
from latentforge.apps.classical_fills import harmonic_fill, mean_fill
from latentforge.data import load_data
from latentforge.data.masks import make_masks
from latentforge.metrics.hole_quality import per_image_hole_psnr, per_image_hole_ssim
from latentforge.models import Inpainting, InpaintingConfig
from latentforge.viz.grid import interleave_rows, save_grid
from restoration_common import pretrain_then_fine_tune, rounded

EVAL_MASKS = ("centre", "rectangles", "strokes")
SHOWN = torch.arange(0, 48, 6)  # 8 test faces of all five subjects (ten per subject, in order)


def hole_scores(pred: torch.Tensor, target: torch.Tensor, masks: torch.Tensor) -> dict:
    ssim = per_image_hole_ssim(pred, target, masks)
    return {
        "hole_psnr": per_image_hole_psnr(pred, target, masks).clamp_max(100).mean().item(),
        "hole_ssim": ssim[~ssim.isnan()].mean().item(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_data_options(parser)
    parser.add_argument("--pretrain-steps", type=int, default=300)
    parser.add_argument("--pretrain-lr", type=float, default=1e-3)
    parser.add_argument("--steps", type=int, default=250)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--g-widths", default="16,32,64")
    parser.add_argument("--d-channels", default="32,64,128,256")
    parser.add_argument("--hole-size", type=float, default=0.5)
    parser.add_argument("--mask-seed", type=int, default=2024)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--grid", type=Path, help="write input / fills / target rows")
    args = parser.parse_args()
    args.data_dir = data_dir(args)
    torch.set_num_threads(args.threads)

    data = load_data("orl-faces", data_dir=args.data_dir, val_fraction=0.0, seed=args.seed)
    common = {
        "image_size": data.image_size,
        "in_channels": data.channels,
        "mask": "mixed",
        "hole_size": args.hole_size,
        "g_widths": tuple(int(c) for c in args.g_widths.split(",")),
        "d_channels": tuple(int(c) for c in args.d_channels.split(",")),
        "lr_g": args.lr,
        "lr_d": args.lr,
    }
    _, models, times = pretrain_then_fine_tune(
        lambda: Inpainting(
            InpaintingConfig(**common | {"lr_g": args.pretrain_lr}, adversarial_weight=0.0)
        ),
        {
            "l2": lambda: Inpainting(InpaintingConfig(**common, adversarial_weight=0.0)),
            "gan": lambda: Inpainting(InpaintingConfig(**common)),
        },
        data,
        args.pretrain_steps,
        args.steps,
        args.batch_size,
        args.seed,
    )

    images = data.test.images.float() / 255.0
    fills = {
        "mean_fill": mean_fill,
        "harmonic_fill": harmonic_fill,
        **{name: model.eval().inpaint for name, model in models.items()},
    }
    results, shown = {}, {}
    generator = torch.Generator().manual_seed(args.mask_seed)
    for kind in EVAL_MASKS:
        masks = make_masks(kind, len(images), data.image_size, args.hole_size, generator)
        results[kind] = {"hole_share": round(masks.mean().item(), 4)}
        for name, fill in fills.items():
            start = time.perf_counter()
            filled = fill(images, masks)
            seconds = time.perf_counter() - start
            results[kind][name] = rounded(
                {**hole_scores(filled, images, masks), "seconds": seconds}
            )
            shown[(kind, name)] = filled[SHOWN]
        shown[(kind, "input")] = (images * (1 - masks) + masks)[SHOWN]
    if args.grid:
        rows = []
        for kind in ("centre", "strokes"):
            rows += [shown[(kind, n)] for n in ("input", "mean_fill", "harmonic_fill", "l2", "gan")]
        rows.append(images[SHOWN])
        save_grid(interleave_rows(*rows, per_row=8), args.grid, nrow=8)
    print_json(
        {
            "train_images": len(data.train),
            "test_images": len(images),
            "settings": vars(args) | {"grid": str(args.grid), "data_dir": str(args.data_dir)},
            "seconds": {k: round(v, 1) for k, v in times.items()},
            "results": results,
            **torch_and_machine(),
        }
    )


if __name__ == "__main__":
    main()
