"""CycleGAN on sneaker2boot: does a translated sneaker look like an ankle boot to a classifier,
and does the cycle bring it back? Prints JSON.

    flock /tmp/latentforge-cpu.lock nice python benchmarks/cyclegan.py \
        --steps 2000 --grid docs/images/cyclegan-sneaker2boot.png

Trains ``cyclegan`` with the engine on the Fashion-MNIST sneakers (A, class 7) and ankle boots
(B, class 9) of the training split, then on the 1,000 + 1,000 test images:

- the share of translated images that a small CNN classifier (the one of
  ``benchmarks/gan_class_coverage.py``, trained here on all 60,000 training items, 10
  classes) assigns to the target class: ankle boot for A -> B, sneaker for B -> A; the same
  share for the untranslated inputs is the baseline (what the identity map scores);
- the cycle reconstruction PSNR (and L1) of A -> B -> A and B -> A -> B.

Budget: ``--steps`` generator steps at ``--batch-size`` with the small networks below.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from _data import add_data_options, data_dir
from gan_class_coverage import as_float, train_classifier
from latentforge.data import load_data
from latentforge.data.pairs import split_pair
from latentforge.data.translation_tasks import ANKLE_BOOT, SNEAKER
from latentforge.metrics import per_image_psnr
from latentforge.training.checkpoint import load_model
from latentforge.viz.grid import interleave_groups, save_grid
from translation_bench import features_and_logits, mean_throughput, train_run, translate_all

NETWORKS = {"g_channels": (16, 32, 64), "residual_blocks": 3, "d_channels": (32, 64)}


def share_of(logits: torch.Tensor, label: int) -> float:
    return (logits.argmax(1) == label).float().mean().item()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_data_options(parser)
    parser.add_argument("--out", type=Path, default=Path("/tmp/lf-bench-cyclegan"))
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--classifier-epochs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--grid", type=Path, help="write A, A->B, A->B->A, B, B->A, B->A->B")
    args = parser.parse_args()
    args.data_dir = data_dir(args)

    run_dir = args.out / "cyclegan"
    seconds = train_run(
        "cyclegan",
        "sneaker2boot",
        NETWORKS,
        run_dir,
        args.data_dir,
        args.steps,
        args.batch_size,
        args.seed,
    )
    fashion = load_data(args.data_dir / "fashion-mnist.npz", val_fraction=0.0, seed=args.seed)
    classifier = train_classifier(fashion.train, args.classifier_epochs, args.seed)
    test = load_data("sneaker2boot", data_dir=args.data_dir, val_fraction=0.0).test
    real_a, real_b = split_pair(as_float(test.images))  # 1,000 sneakers, 1,000 ankle boots
    model = load_model(run_dir)
    fashion_logits = features_and_logits(classifier, as_float(fashion.test.images))[1]
    results = {
        "steps": args.steps,
        "batch_size": args.batch_size,
        "networks": NETWORKS,
        "train_seconds": seconds,
        "train_images_per_s": mean_throughput(run_dir),
        "classifier_test_accuracy": (
            (fashion_logits.argmax(1) == fashion.test.labels).float().mean().item()
        ),
        "directions": {},
    }
    shown = []
    for name, images, there, back, target, own in (
        ("a2b", real_a, "a2b", "b2a", ANKLE_BOOT, SNEAKER),
        ("b2a", real_b, "b2a", "a2b", SNEAKER, ANKLE_BOOT),
    ):
        translated = translate_all(model, images, there)
        cycled = translate_all(model, translated, back)
        logits = features_and_logits(classifier, translated)[1]
        input_logits = features_and_logits(classifier, images)[1]
        results["directions"][name] = {
            "images": len(images),
            "target_class_share": share_of(logits, target),
            "target_class_share_untranslated": share_of(input_logits, target),
            "source_class_share_after": share_of(logits, own),
            "cycle_psnr": per_image_psnr(cycled, images).mean().item(),
            "cycle_l1": (cycled - images).abs().mean().item(),
        }
        shown += [images[:16], translated[:16], cycled[:16]]
    if args.grid is not None:
        save_grid(interleave_groups(shown, per_row=16), args.grid, nrow=16, scale=2)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
