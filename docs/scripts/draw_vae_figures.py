"""Draw the VAE figures of docs/course.md from the library's own modules.

Run from the repository root:  PYTHONPATH=src python docs/scripts/draw_vae_figures.py

- ``vae-architecture.png``: the layers of a built ``VAE`` (default networks, 28x28 grey
  images, latent 16) with the output shape of each, recorded by forward hooks during one
  forward pass: encoder -> (mu, log sigma^2) -> z = mu + sigma * eps -> decoder.
- ``vae-reparameterization.png``: which tensors receive a gradient of the VAE loss when z is
  drawn directly from N(mu, sigma^2) (``torch.distributions.Normal.sample``) and when it is
  computed by ``latentforge.nn.gaussian.reparameterize`` (measured with autograd).
- ``vae-latent-distributions.png``: a VAE trained briefly on the built-in sample (300 steps,
  about a minute on a CPU) describes each latent attribute of an image by a Gaussian
  N(mu_j, sigma_j^2): the posteriors of three test images in the first six dimensions.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
from _figures import IMAGES, save_figure  # noqa: E402
from torch import nn  # noqa: E402
from torch.distributions import Normal  # noqa: E402

from latentforge.data import load_data  # noqa: E402
from latentforge.losses.divergence import kl_standard_normal  # noqa: E402
from latentforge.models import VAE, VAEConfig  # noqa: E402
from latentforge.nn.gaussian import reparameterize, split_mean_logvar  # noqa: E402
from latentforge.steps.train_config import TrainConfig  # noqa: E402
from latentforge.training.checkpoint import load_model  # noqa: E402
from latentforge.training.run import DataConfig, RunConfig, train  # noqa: E402


def layer_shapes(module: nn.Module, x: torch.Tensor, prefix: str) -> list[tuple[str, str]]:
    """(layer description, output shape) for every leaf layer, in call order."""
    rows: list[tuple[str, str]] = []
    hooks = [
        leaf.register_forward_hook(
            lambda m, _i, out, name=name: rows.append(
                (f"{prefix}.{name}: {m.__class__.__name__}{describe(m)}", str(tuple(out.shape)))
            )
        )
        for name, leaf in module.named_modules()
        if not list(leaf.children())
    ]
    with torch.no_grad():
        module(x)
    for hook in hooks:
        hook.remove()
    return rows


def describe(m: nn.Module) -> str:
    if isinstance(m, nn.Conv2d | nn.ConvTranspose2d):
        return f"({m.in_channels}->{m.out_channels}, k{m.kernel_size[0]}, s{m.stride[0]})"
    if isinstance(m, nn.Linear):
        return f"({m.in_features}->{m.out_features})"
    return ""


def draw_architecture() -> Path:
    model = VAE(VAEConfig(in_channels=1, image_size=(28, 28), latent_dim=16)).eval()
    x = torch.rand(1, 1, 28, 28)
    encoder = layer_shapes(model.encoder, x * 2 - 1, "encoder")
    mu, logvar = split_mean_logvar(model.encoder_features(x))
    decoder = layer_shapes(model.decoder, mu, "decoder")
    rows = [("input image x in [0, 1] (mapped to [-1, 1])", str(tuple(x.shape)), "#dddddd")]
    rows += [(name, shape, "#a0c4e8") for name, shape in encoder]
    rows += [
        ("split_mean_logvar -> mu, log sigma^2", f"2 x {tuple(mu.shape)}", "#f6c28b"),
        ("z = mu + sigma * eps, eps ~ N(0, I)  (reparameterize)", str(tuple(mu.shape)), "#f28e2b"),
    ]
    rows += [(name, shape, "#a8d5a2") for name, shape in decoder]
    rows += [("sigmoid -> reconstruction x_hat in [0, 1]", str(tuple(x.shape)), "#dddddd")]
    fig, ax = plt.subplots(figsize=(9, 0.42 * len(rows) + 1))
    for i, (name, shape, colour) in enumerate(rows):
        ax.add_patch(plt.Rectangle((0, i), 7, 0.8, facecolor=colour, edgecolor="black"))
        ax.text(0.15, i + 0.4, name, va="center", fontsize=9, family="monospace")
        ax.text(7.3, i + 0.4, shape, va="center", fontsize=9, family="monospace")
        if i:
            ax.annotate("", (3.5, i), (3.5, i - 0.2), arrowprops={"arrowstyle": "->"})
    ax.set_xlim(0, 9.5)
    ax.set_ylim(len(rows), -0.3)
    ax.axis("off")
    params = sum(p.numel() for p in model.parameters())
    ax.set_title(
        f"VAE(VAEConfig(latent_dim=16)): {params:,} parameters; output shapes of one forward pass"
        "\nblue: encoder, orange: the latent Gaussian and its sample, green: decoder",
        fontsize=10,
    )
    fig.tight_layout()
    return save_figure(fig, "vae-architecture.png")


def loss_gradients(sample_z) -> dict[str, float | None]:
    """Gradient norms of a VAE loss on mu, log sigma^2 and the encoder weights."""
    torch.manual_seed(0)
    model = VAE(VAEConfig(in_channels=1, image_size=(28, 28), latent_dim=16))
    x = torch.rand(8, 1, 28, 28)
    features = model.encoder_features(x)
    features.retain_grad()
    mu, logvar = split_mean_logvar(features)
    z = sample_z(mu, logvar)
    recon = model.reconstruction_loss(model.decode_logits(z), x)
    recon.backward()  # the reconstruction term alone: the KL term never samples
    grad = features.grad
    weight = model.encoder.head.weight.grad
    d = mu.shape[1]
    return {
        "mu": None if grad is None else float(grad[:, :d].norm()),
        "log sigma^2": None if grad is None else float(grad[:, d:].norm()),
        "encoder weights": None if weight is None else float(weight.norm()),
    }


def draw_reparameterization() -> Path:
    cases = {
        "z ~ N(mu, sigma^2) drawn directly\n(torch.distributions.Normal(mu, sigma).sample())": (
            lambda mu, lv: Normal(mu, torch.exp(0.5 * lv)).sample()
        ),
        "z = mu + sigma * eps, eps ~ N(0, I)\n(latentforge.nn.gaussian.reparameterize)": (
            lambda mu, lv: reparameterize(mu, lv, torch.Generator().manual_seed(0))
        ),
    }
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.4))
    nodes = {
        "x": (0.5, 2.5),
        "encoder weights": (2, 2.5),
        "mu": (3.8, 3.4),
        "log sigma^2": (3.8, 1.6),
        "eps ~ N(0, I)": (5.4, 0.5),
        "z": (6.2, 2.5),
        "decoder": (7.6, 2.5),
        "reconstruction loss": (9.2, 2.5),
    }
    edges = [
        ("x", "encoder weights"),
        ("encoder weights", "mu"),
        ("encoder weights", "log sigma^2"),
        ("mu", "z"),
        ("log sigma^2", "z"),
        ("eps ~ N(0, I)", "z"),
        ("z", "decoder"),
        ("decoder", "reconstruction loss"),
    ]
    for ax, (title, sample_z) in zip(axes, cases.items()):
        grads = loss_gradients(sample_z)
        blocked = grads["mu"] is None
        for a, b in edges:
            (xa, ya), (xb, yb) = nodes[a], nodes[b]
            stopped = blocked and b == "z" and a != "eps ~ N(0, I)"
            ax.annotate(
                "",
                (xb, yb),
                (xa, ya),
                arrowprops={
                    "arrowstyle": "->",
                    "color": "#e15759" if stopped else "black",
                    "linestyle": "--" if stopped else "-",
                    "shrinkA": 22,
                    "shrinkB": 22,
                },
            )
        for name, (x, y) in nodes.items():
            value = grads.get(name, "n/a")
            label = (
                name
                if value == "n/a"
                else f"{name}\ngrad: " + ("none" if value is None else f"{value:.3g}")
            )
            colour = "#f4f4f4" if value == "n/a" else ("#f8c6c6" if value is None else "#c8e6c3")
            ax.text(x, y, label, ha="center", va="center", fontsize=8,
                    bbox={"boxstyle": "round", "facecolor": colour})  # fmt: skip
        ax.set_xlim(-0.3, 10.3)
        ax.set_ylim(-0.2, 4.2)
        ax.axis("off")
        ax.set_title(title, fontsize=10)
    fig.suptitle(
        "Gradient of the reconstruction loss, measured by autograd (green: received, red: none)"
    )
    fig.tight_layout()
    return save_figure(fig, "vae-reparameterization.png")


def trained_vae(steps: int = 300) -> VAE:
    run = RunConfig(
        model_type="vae",
        model={"latent_dim": 8, "hidden_channels": (16, 32, 64)},
        data=DataConfig(spec="sample"),
        train=TrainConfig(
            epochs=100,
            max_steps=steps,
            batch_size=64,
            device="cpu",
            progress=False,
            tensorboard=False,
            num_workers=0,
            log_every=100,
            grid_size=16,
        ),  # fmt: skip
    )
    with tempfile.TemporaryDirectory() as folder:
        train(run, Path(folder) / "vae", overwrite=True)
        return load_model(Path(folder) / "vae").eval()


def draw_latent_distributions() -> Path:
    torch.manual_seed(0)
    model = trained_vae()
    test = load_data("sample", val_fraction=0.1, seed=0).val
    picks = [0, 1, 2]
    images = test.images[picks].float() / 255.0
    with torch.no_grad():
        mu, logvar = model.encode_distribution(images)
    kl = kl_standard_normal(mu, logvar)
    dims = 6
    fig, axes = plt.subplots(len(picks), dims + 1, figsize=(14, 2.1 * len(picks)))
    grid = torch.linspace(-3.5, 3.5, 300)
    for row, i in enumerate(range(len(picks))):
        axes[row, 0].imshow(images[i, 0], cmap="gray")
        axes[row, 0].set_title(f"image {i}, KL {kl[i]:.1f} nats", fontsize=8)
        axes[row, 0].axis("off")
        for j in range(dims):
            ax = axes[row, j + 1]
            sigma = torch.exp(0.5 * logvar[i, j])
            density = Normal(mu[i, j], sigma).log_prob(grid).exp()
            ax.plot(grid, Normal(0.0, 1.0).log_prob(grid).exp(), ":", color="grey")
            ax.plot(grid, density, color="#4e79a7")
            ax.axvline(float(mu[i, j]), color="#e15759", lw=0.8)
            ax.set_yticks([])
            ax.set_title(f"z{j}: mu {mu[i, j]:.2f}, sigma {sigma:.2f}", fontsize=8)
    fig.suptitle(
        "Each latent attribute is a distribution q(z_j|x) = N(mu_j, sigma_j^2) (blue), not one "
        "number; dotted: the prior N(0, 1)",
        fontsize=10,
    )
    fig.tight_layout()
    return save_figure(fig, "vae-latent-distributions.png")


def main() -> None:
    torch.set_num_threads(1)
    for path in (draw_architecture(), draw_reparameterization(), draw_latent_distributions()):
        print(path.relative_to(IMAGES.parents[1]))


if __name__ == "__main__":
    main()
