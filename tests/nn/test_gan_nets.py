"""GAN networks: DCGAN architecture rules, N(0, 0.02) initialisation, padding helpers."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from latentforge.nn.blocks import halved, halving_padding
from latentforge.nn.gan_nets import DCGANDiscriminator, DCGANGenerator, dcgan_init_
from latentforge.nn.transposed_conv import transposed_padding_for


@pytest.mark.parametrize("kernel", [2, 3, 4, 5])
@pytest.mark.parametrize("size", [1, 2, 7, 14, 27, 28])
def test_halving_padding_gives_ceil_half_in_torch(kernel, size) -> None:
    padding = halving_padding(size, kernel)
    conv = nn.Conv2d(1, 1, kernel, stride=2, padding=padding)
    assert conv(torch.zeros(1, 1, size, size)).shape[-1] == math.ceil(size / 2)


@pytest.mark.parametrize("kernel", [2, 3, 4, 5])
@pytest.mark.parametrize("size", [1, 4, 7, 14])
@pytest.mark.parametrize("odd", [True, False])
def test_transposed_padding_reaches_the_target_in_torch(kernel, size, odd) -> None:
    target = 2 * size - 1 if odd else 2 * size
    padding, output_padding = transposed_padding_for(size, target, kernel, 2)
    up = nn.ConvTranspose2d(1, 1, kernel, 2, padding=padding, output_padding=output_padding)
    assert up(torch.zeros(1, 1, size, size)).shape[-1] == target
    assert halved(target) == size  # the generator retraces the discriminator's path


def test_dcgan_discriminator_follows_the_architecture_rules() -> None:
    net = DCGANDiscriminator(3, (32, 32), (8, 16, 32), norm="batch")
    convs = [m for m in net.modules() if isinstance(m, nn.Conv2d)]
    assert [c.stride for c in convs] == [(2, 2)] * 3  # strided convolutions, no pooling
    assert not any(isinstance(m, nn.MaxPool2d | nn.AvgPool2d) for m in net.modules())
    blocks = list(net.features)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in blocks[0])  # no norm on the input layer
    assert all(any(isinstance(m, nn.BatchNorm2d) for m in b) for b in blocks[1:])
    slopes = {m.negative_slope for m in net.modules() if isinstance(m, nn.LeakyReLU)}
    assert slopes == {0.2}
    assert sum(isinstance(m, nn.Linear) for m in net.modules()) == 1  # only the score head


def test_dcgan_generator_follows_the_architecture_rules() -> None:
    net = DCGANGenerator(10, 3, (32, 32), (8, 16, 32), norm="batch")
    ups = [m for m in net.modules() if isinstance(m, nn.ConvTranspose2d)]
    assert len(ups) == 3 and all(u.stride == (2, 2) for u in ups)
    last = list(net.blocks)[-1]
    assert isinstance(list(last)[-1], nn.Tanh)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in last)  # no norm at the output
    hidden = [m for b in list(net.blocks)[:-1] for m in b]
    assert any(isinstance(m, nn.ReLU) for m in hidden)
    assert any(isinstance(m, nn.BatchNorm2d) for m in hidden)


def test_dcgan_init_draws_weights_from_normal_0_002() -> None:
    net = dcgan_init_(
        DCGANGenerator(100, 1, (28, 28), (64, 128, 256)), generator=torch.Generator().manual_seed(0)
    )
    weights = torch.cat(
        [m.weight.flatten() for m in net.modules() if isinstance(m, nn.Linear | nn.ConvTranspose2d)]
    )
    assert weights.numel() > 100_000
    # the sample mean and std of > 1e5 normal draws are within a few standard errors
    assert abs(weights.mean().item()) < 5 * 0.02 / math.sqrt(weights.numel())
    assert abs(weights.std().item() - 0.02) < 0.02 * 0.01
    norms = [m for m in net.modules() if isinstance(m, nn.BatchNorm2d)]
    assert all(torch.all(n.bias == 0) for n in norms)
    scales = torch.cat([n.weight.flatten() for n in norms])
    assert abs(scales.mean().item() - 1.0) < 5 * 0.02 / math.sqrt(scales.numel())
    biases = [m.bias for m in net.modules() if isinstance(m, nn.ConvTranspose2d)]
    assert all(torch.all(b == 0) for b in biases)


def test_dcgan_init_is_reproducible_with_a_generator() -> None:
    a = dcgan_init_(DCGANDiscriminator(1, (8, 8), (4,)), generator=torch.Generator().manual_seed(3))
    b = dcgan_init_(DCGANDiscriminator(1, (8, 8), (4,)), generator=torch.Generator().manual_seed(3))
    for p, q in zip(a.parameters(), b.parameters()):
        torch.testing.assert_close(p, q)
