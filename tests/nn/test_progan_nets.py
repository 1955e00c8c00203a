"""Growing networks: stage sizes, and the fade-in identities (alpha = 0 is the previous stage,
the output is linear in alpha) that make growing smooth."""

from __future__ import annotations

import pytest
import torch

from latentforge.errors import ConfigError
from latentforge.nn.progan_layers import EqualizedConv2d, MinibatchStdDev, PixelNorm
from latentforge.nn.progan_nets import (
    GrowingDiscriminator,
    GrowingGenerator,
    downscale,
    max_stages,
    stage_channels,
    stage_sizes,
    upscale,
)

CHANNELS = [8, 6, 4]


def _nets(size=(16, 16), stages=3, in_channels=1):
    torch.manual_seed(0)
    g = GrowingGenerator(5, in_channels, size, stages, CHANNELS)
    d = GrowingDiscriminator(in_channels, size, stages, CHANNELS, mbstd_group=2)
    return g, d


@pytest.mark.parametrize(
    ("size", "expected"),
    [((32, 32), 4), ((64, 64), 5), ((28, 28), 3), ((112, 92), 3), ((12, 12), 2), ((7, 7), 1)],
)
def test_max_stages_halves_down_to_a_base_of_at_least_4(size, expected) -> None:
    assert max_stages(size) == expected
    base = stage_sizes(size, expected)[0]
    assert min(base) >= 4 or expected == 1


def test_stage_sizes_double_to_the_image_size() -> None:
    assert stage_sizes((32, 32), 4) == [(4, 4), (8, 8), (16, 16), (32, 32)]
    assert stage_sizes((112, 92), 3) == [(28, 23), (56, 46), (112, 92)]
    with pytest.raises(ConfigError, match="--num-stages 4.*28x28.*at most 3"):
        stage_sizes((28, 28), 4)


def test_stage_channels_double_towards_the_base_up_to_the_cap() -> None:
    assert stage_channels(4, 128, 32) == [128, 128, 64, 32]
    assert stage_channels(5, 512, 16) == [256, 128, 64, 32, 16]


def test_resampling_by_hand() -> None:
    x = torch.arange(16.0).view(1, 1, 4, 4)
    # 2x2 block means of [[0, 1, 4, 5], [2, 3, 6, 7], [8, 9, 12, 13], [10, 11, 14, 15]]
    torch.testing.assert_close(downscale(x, 2), torch.tensor([[[[2.5, 4.5], [10.5, 12.5]]]]))
    up = upscale(torch.tensor([[[[1.0, 2.0]]]]), 2)
    torch.testing.assert_close(up, torch.tensor([[[[1.0, 1.0, 2.0, 2.0], [1.0, 1.0, 2.0, 2.0]]]]))


def test_networks_follow_the_paper_layers() -> None:
    g, d = _nets()
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in [*g.modules(), *d.modules()])
    assert sum(isinstance(m, PixelNorm) for m in g.modules()) == 1 + 1 + 1 + 2 * 2
    assert sum(isinstance(m, MinibatchStdDev) for m in d.modules()) == 1
    assert [rgb.scale for rgb in g.to_rgb] == pytest.approx([1 / c**0.5 for c in CHANNELS])
    assert all(isinstance(layer, EqualizedConv2d) for layer in g.to_rgb)


@pytest.mark.parametrize("stage", [0, 1, 2])
@pytest.mark.parametrize("size", [(16, 16), (16, 12)])
def test_shapes_at_every_stage(stage, size) -> None:
    g, d = _nets(size, in_channels=3)
    sizes = stage_sizes(size, 3)
    images = g(torch.randn(4, 5), stage=stage, alpha=0.5)
    assert images.shape == (4, 3, *sizes[stage])
    assert d(images, stage=stage, alpha=0.5).shape == (4,)


def test_generator_at_alpha_0_is_the_previous_stage_upsampled() -> None:
    g, _ = _nets()
    z = torch.randn(4, 5)
    for stage in (1, 2):
        previous = g(z, stage=stage - 1, alpha=1.0)
        torch.testing.assert_close(g(z, stage=stage, alpha=0.0), upscale(previous, 2))


def test_generator_output_is_linear_in_alpha() -> None:
    g, _ = _nets()
    z = torch.randn(4, 5)
    old, new = g(z, stage=2, alpha=0.0), g(z, stage=2, alpha=1.0)
    for alpha in (0.25, 0.7):
        torch.testing.assert_close(g(z, stage=2, alpha=alpha), (1 - alpha) * old + alpha * new)


def test_discriminator_at_alpha_0_sees_the_downsampled_image() -> None:
    _, d = _nets()
    x = torch.randn(4, 1, 16, 16)
    torch.testing.assert_close(d(x, stage=2, alpha=0.0), d(downscale(x, 2), stage=1, alpha=1.0))
    x8 = downscale(x, 2)
    torch.testing.assert_close(d(x8, stage=1, alpha=0.0), d(downscale(x8, 2), stage=0, alpha=1.0))


def test_the_old_branch_gets_no_gradient_once_faded_in() -> None:
    g, d = _nets()
    z = torch.randn(4, 5)
    d(g(z, stage=2, alpha=1.0), stage=2, alpha=1.0).sum().backward()
    assert g.to_rgb[1].weight.grad is None and d.from_rgb[1][0].weight.grad is None
    assert g.to_rgb[2].weight.grad is not None and d.from_rgb[2][0].weight.grad is not None
    g.zero_grad(set_to_none=True)
    d.zero_grad(set_to_none=True)
    d(g(z, stage=2, alpha=0.5), stage=2, alpha=0.5).sum().backward()
    assert g.to_rgb[1].weight.grad is not None and d.from_rgb[1][0].weight.grad is not None


def test_forward_defaults_to_the_set_growth_and_checks_it() -> None:
    g, d = _nets()
    z = torch.randn(2, 5)
    assert g(z).shape[-1] == 16  # new networks run the last stage
    g.set_growth(1, 0.3)
    torch.testing.assert_close(g(z), g(z, stage=1, alpha=0.3))
    with pytest.raises(ConfigError, match="stage must be in"):
        g.set_growth(3, 1.0)
    with pytest.raises(ConfigError, match="alpha"):
        d(torch.zeros(2, 1, 4, 4), stage=0, alpha=1.5)
