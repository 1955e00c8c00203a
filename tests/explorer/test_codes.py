"""Sample codes (temperature, truncation) and GANSpace directions against their formulas, on
stand-in models whose answers are known."""

from __future__ import annotations

import pytest
import torch
from torch import Tensor, nn

from latentforge.explorer.sampling import sample_codes, truncate
from latentforge.explorer.sliders import encoder_sliders, ganspace_directions, generator_sliders
from latentforge.models.capabilities import Decodes, Encodes

MEAN = torch.tensor([2.0, -1.0, 0.5])


class ShiftedPrior(nn.Module, Encodes):
    """Codes ~ N(MEAN, I); image = a 4x4 picture of the code's second entry only."""

    device = torch.device("cpu")
    latent_dim = 3

    def sample_latent(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        return MEAN + torch.randn(n, 3, generator=generator)

    def latent_prior(self) -> tuple[Tensor, Tensor]:
        return MEAN.clone(), torch.eye(3)

    def decode(self, z: Tensor) -> Tensor:
        return (0.5 + 0.1 * z[:, 1]).view(-1, 1, 1, 1).expand(-1, 1, 4, 4)


class OneDirectionGenerator(nn.Module, Decodes):
    """Noise ~ N(0, I) in 5 dimensions; the image depends on z_1 - z_3 only (a GAN stand-in)."""

    device = torch.device("cpu")
    latent_dim = 5

    def sample_latent(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        return torch.randn(n, 5, generator=generator)

    def decode(self, z: Tensor) -> Tensor:
        pattern = torch.linspace(0.0, 1.0, 16).view(1, 1, 4, 4)
        return 0.5 + 0.05 * (z[:, 1] - z[:, 3]).view(-1, 1, 1, 1) * pattern


def test_temperature_scales_codes_around_the_prior_mean():
    model = ShiftedPrior()
    one = sample_codes(model, 6, seed=3)
    torch.testing.assert_close(one, model.sample_latent(6, torch.Generator().manual_seed(3)))
    half = sample_codes(model, 6, seed=3, temperature=0.5)
    torch.testing.assert_close(half, MEAN + 0.5 * (one - MEAN))


def test_truncation_redraws_only_entries_outside():
    z = torch.tensor([[0.2, -3.0, 1.1], [0.9, 0.0, -1.2]])
    redraws = iter([torch.full((2, 3), 5.0), torch.full((2, 3), 0.7)])
    out = truncate(z, 1.0, lambda shape: next(redraws))
    torch.testing.assert_close(out, torch.tensor([[0.2, 0.7, 0.7], [0.9, 0.0, 0.7]]))
    assert truncate(z, 0.0, None) is z
    with pytest.raises(Exception, match="truncation must be >= 0"):
        truncate(z, -1.0, None)


def test_ganspace_finds_the_only_direction_the_output_depends_on():
    directions, spread = ganspace_directions(OneDirectionGenerator(), components=2, draws=512)
    expected = torch.tensor([0.0, 1.0, 0.0, -1.0, 0.0]) / 2**0.5
    # regression noise of the other 3 dimensions over 512 draws: cos > 0.99
    assert abs(float(directions[0] @ expected)) == pytest.approx(1.0, abs=0.01)
    assert float(spread[0]) == pytest.approx(1.0, abs=0.1)  # noise std along a unit direction
    sliders = generator_sliders(OneDirectionGenerator(), components=2)
    assert sliders.kind == "GANSpace" and sliders.effects[0] > 10 * sliders.effects[1]


def test_encoder_sliders_span_the_prior_and_put_the_used_dimension_first():
    sliders = encoder_sliders(ShiftedPrior())
    assert sliders.order[0] == 1 and sliders.effects[1] == pytest.approx(0.0, abs=1e-7)
    torch.testing.assert_close(sliders.low, MEAN - 3.0)
    torch.testing.assert_close(sliders.high, MEAN + 3.0)
    torch.testing.assert_close(sliders.base, MEAN)
