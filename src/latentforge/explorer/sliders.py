"""The latent sliders of the page: directions in latent space, their ranges, ordered by effect.

A code z is shown as coordinates c = U (z - m) along directions A (``apps.coordinates``); a
slider sets one coordinate and the page decodes z = z_0 + (c_k' - c_k) A[:, k].

- A model with an encoder (``Encodes``): the latent axes themselves (A = U = I, m = 0), each
  over m_k +- 3 sigma_k of the model's latent Gaussian (``apps.traversal.prior_span``).
- A generator without an encoder (``Decodes`` only, the GANs): its noise is isotropic, so its
  own principal directions say nothing. Instead, as in GANSpace (Harkonen et al. 2020,
  https://arxiv.org/abs/2004.02546), PCA finds the principal directions of the generator's
  output over many noise draws, and a least-squares regression of the noise on those principal
  coordinates maps each component back to a direction u_k in noise space (z ~ sum_k c_k u_k).
  GANSpace takes an early layer's activations; here the output layer is used, the one
  activation every generator declares (``decode``), so no network internals are touched.

Either way the sliders are ordered as ``latentforge traverse`` orders rows: by the path length
of the decoded images along each direction (``apps.traversal.traversal``), largest first.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from latentforge.apps.coordinates import LinearCoordinates, latent_axes
from latentforge.apps.traversal import prior_span, traversal
from latentforge.models.capabilities import Decodes, Encodes

MAX_SLIDERS = 32
SPAN_SIGMAS = 3.0
GANSPACE_DRAWS = 1024
EFFECT_STEPS = 5


@dataclass
class Sliders:
    """What the page needs to draw and move the sliders."""

    kind: str  # "latent axes" or "GANSpace"
    description: str
    base: Tensor  # (D,) the code the sliders start from
    coordinates: LinearCoordinates  # K directions
    low: Tensor  # (K,)
    high: Tensor  # (K,)
    order: list[int]
    effects: list[float]

    def to_dict(self) -> dict[str, object]:
        keep = self.order[:MAX_SLIDERS]
        c = self.coordinates
        return {
            "kind": self.kind,
            "description": self.description,
            "base": self.base.tolist(),
            "mean": c.mean.tolist(),
            "sliders": [
                {
                    "index": k,
                    "effect": effect,
                    "low": float(self.low[k]),
                    "high": float(self.high[k]),
                    "direction": c.directions[k].tolist(),
                    "unmixing": c.unmixing[k].tolist(),
                }
                for k, effect in zip(keep, self.effects)
            ],
        }


def _ordered(
    model: Decodes, kind: str, text: str, base: Tensor, coords: LinearCoordinates, low, high
) -> Sliders:
    rows = traversal(model, base, coords, low, high, EFFECT_STEPS)
    return Sliders(kind, text, base.cpu(), coords, low, high, rows.order, rows.effects)


@torch.no_grad()
def encoder_sliders(model: Encodes) -> Sliders:
    """One slider per latent dimension over the model's latent Gaussian m +- 3 sigma."""
    base = model.latent_prior()[0].detach().float()
    low, high = prior_span(model, SPAN_SIGMAS)
    text = (
        "one slider per latent dimension, over the mean +- 3 standard deviations of the "
        "model's latent Gaussian; ordered by how much each changes the image"
    )
    return _ordered(model, "latent axes", text, base, latent_axes(base.shape[0]), low, high)


@torch.no_grad()
def ganspace_directions(
    model: Decodes, components: int, draws: int = GANSPACE_DRAWS, seed: int = 0
) -> tuple[Tensor, Tensor]:
    """Noise-space directions ``(K, D)`` (unit length) of the top ``K`` principal components of
    the generator's output, and the standard deviation ``(K,)`` of the noise along each."""
    generator = torch.Generator(device=model.device).manual_seed(seed)
    z = model.sample_latent(draws, generator).float()  # (N, D)
    images = torch.cat([model.decode(part).float().flatten(1) for part in z.split(256)])
    centred = images - images.mean(0)  # (N, P)
    k = min(components, z.shape[1], draws - 1)
    _, _, v = torch.linalg.svd(centred, full_matrices=False)  # v: (min(N, P), P)
    pcs = centred @ v[:k].T  # (N, K) principal coordinates of the outputs
    # least squares z ~ pcs @ B: B (K, D) maps each principal coordinate to noise space
    b = torch.linalg.lstsq(pcs.cpu().double(), (z - z.mean(0)).cpu().double()).solution
    directions = (b / b.norm(dim=1, keepdim=True).clamp_min(1e-12)).float()  # (K, D)
    spread = (z.cpu() @ directions.T).std(0)  # (K,)
    return directions, spread


@torch.no_grad()
def generator_sliders(model: Decodes, components: int = MAX_SLIDERS) -> Sliders:
    """GANSpace-style sliders for a generator without an encoder (module docstring)."""
    directions, spread = ganspace_directions(model, components)
    base = torch.zeros(directions.shape[1])
    pinv = torch.linalg.pinv(directions.T.double()).float()  # (K, D): c = pinv z
    coords = LinearCoordinates(torch.zeros_like(base), directions.T.contiguous(), pinv, "ganspace")
    text = (
        "the noise has no encoder and no preferred axes, so these are the principal "
        f"directions of the generator's output images over {GANSPACE_DRAWS} noise draws, "
        "mapped back to the noise by least squares (Harkonen et al. 2020); each over +- 3 "
        "standard deviations of the noise along it; ordered by effect"
    )
    low, high = -SPAN_SIGMAS * spread, SPAN_SIGMAS * spread
    return _ordered(model, "GANSpace", text, base.to(model.device), coords, low, high)


def sliders_for(model: Decodes) -> Sliders:
    return encoder_sliders(model) if isinstance(model, Encodes) else generator_sliders(model)
