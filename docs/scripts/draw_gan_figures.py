"""Draw the GAN figures of docs/course.md from the library's own code.

Run from the repository root:  PYTHONPATH=src python docs/scripts/draw_gan_figures.py

- ``gan-backprop-phases.png``: a small DCGAN's two training phases, exactly as the engine runs
  them (``training_phases`` of the model, every other parameter frozen with
  ``freeze_all_but``, then ``loss.backward()``); one bar per weight tensor, the gradient norm it
  received. In the discriminator phase only D's weights get gradients (the fakes are made
  without gradients); in the generator phase the gradient flows back *through* D, whose
  weights are frozen, into G.
- ``gan-minimax-generator-losses.png``: the generator losses of ``ADVERSARIAL_LOSSES`` as
  functions of the probability D(G(z)) that D gives a fake, and their gradient with respect to
  the score, by autograd: the min-max (saturating) loss is flat where D rejects the fakes.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
from _figures import IMAGES, save_figure  # noqa: E402

from latentforge.losses import ADVERSARIAL_LOSSES  # noqa: E402
from latentforge.models import DCGAN, DCGANConfig  # noqa: E402
from latentforge.steps.train_config import TrainConfig  # noqa: E402
from latentforge.training.phase_runner import freeze_all_but  # noqa: E402

COLOURS = {"generator": "#4e79a7", "discriminator": "#e15759"}


def phase_gradients(model: DCGAN, images: torch.Tensor) -> dict[str, list[tuple[str, float]]]:
    """Per phase: (weight tensor name, gradient norm) for every weight of G and D."""
    everything = list(model.parameters())
    result = {}
    for phase in model.training_phases(TrainConfig()):
        model.zero_grad(set_to_none=True)
        freeze_all_but(phase.parameters, everything)
        phase.loss({"images": images}).loss.backward()
        result[phase.name] = [
            (name, 0.0 if p.grad is None else float(p.grad.norm()))
            for name, p in model.named_parameters()
            if name.endswith("weight")
        ]
    return result


def draw_backprop_phases() -> Path:
    torch.manual_seed(0)
    model = DCGAN(DCGANConfig(image_size=(28, 28), g_channels=(16, 32), d_channels=(16, 32)))
    images = torch.rand(16, 1, 28, 28)
    grads = phase_gradients(model, images)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2), sharey=True)
    for ax, (phase, rows) in zip(axes, grads.items()):
        names = [name for name, _ in rows]
        values = [value for _, value in rows]
        colours = [COLOURS[name.split(".")[0]] for name in names]
        ax.barh(range(len(rows)), values, color=colours)
        ax.set_yticks(range(len(rows)), names, fontsize=7)
        ax.invert_yaxis()
        ax.set_xscale("symlog", linthresh=1e-3)
        ax.set_xlabel("gradient norm after loss.backward() (0 = no gradient)")
        updated = "D's weights" if phase == "discriminator" else "G's weights"
        ax.set_title(f"{phase} phase: the optimiser steps {updated}", fontsize=10)
        for i, value in enumerate(values):
            if value == 0.0:
                ax.text(1e-4, i, "none", va="center", fontsize=7, color="grey")
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in COLOURS.values()]
    fig.legend(handles, list(COLOURS), loc="lower center", ncol=2, frameon=False)
    fig.suptitle("Backpropagation in the two GAN phases (a DCGAN, one batch, latentforge phases)")
    fig.tight_layout(rect=(0, 0.06, 1, 0.95))
    return save_figure(fig, "gan-backprop-phases.png")


def draw_generator_losses() -> Path:
    d_of_fake = torch.linspace(0.001, 0.999, 400)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for name, style in (("minimax", "-"), ("non-saturating", "--"), ("wasserstein", ":")):
        scores = torch.logit(d_of_fake).requires_grad_(True)
        losses = torch.stack(
            [ADVERSARIAL_LOSSES.get(name).generator_loss(s.reshape(1)) for s in scores]
        )
        losses.sum().backward()
        left.plot(d_of_fake, losses.detach(), style, label=name)
        right.plot(d_of_fake, scores.grad.abs(), style, label=name)
    left.set_xlabel("D(G(z)): probability D gives a fake of being real")
    left.set_ylabel("generator loss L_G (minimised)")
    left.set_title("generator losses (wasserstein: against the raw score)", fontsize=10)
    right.set_xlabel("D(G(z))")
    right.set_ylabel("|dL_G / d score|")
    right.set_yscale("log")
    right.set_title("gradient reaching G: min-max vanishes as D(G(z)) -> 0", fontsize=10)
    for ax in (left, right):
        ax.legend()
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return save_figure(fig, "gan-minimax-generator-losses.png")


def main() -> None:
    for path in (draw_backprop_phases(), draw_generator_losses()):
        print(path.relative_to(IMAGES.parents[1]))


if __name__ == "__main__":
    main()
