"""Sub-pixel upsampling, residual blocks, the SR and inpainting networks: shapes and the
closed forms they are built to satisfy."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from latentforge.data.masks import crop_windows, hole_windows
from latentforge.errors import ConfigError, ShapeError
from latentforge.nn.inpainting_nets import GlobalLocalDiscriminator, InpaintingNet
from latentforge.nn.residual import ResidualBlock, ResidualStack
from latentforge.nn.sr_nets import SRResNet, bicubic_upscale, downscale
from latentforge.nn.subpixel import SubPixelUpsample, icnr_, pixel_shuffle_reference


@pytest.mark.parametrize("factor", [2, 3])
def test_pixel_shuffle_reference_matches_torch_and_the_index_formula(factor) -> None:
    x = torch.randn(2, 3 * factor * factor, 4, 5)
    ours = pixel_shuffle_reference(x, factor)
    torch.testing.assert_close(ours, nn.PixelShuffle(factor)(x))
    n, c, h, w, i, j = 1, 2, 3, 1, factor - 1, 0  # PS(T)[n, c, r h + i, r w + j]
    assert ours[n, c, factor * h + i, factor * w + j] == x[n, c * factor**2 + factor * i + j, h, w]


def test_pixel_shuffle_reference_rejects_channels_not_divisible() -> None:
    with pytest.raises(ShapeError, match="cannot be shuffled"):
        pixel_shuffle_reference(torch.zeros(1, 6, 2, 2), 2)


def test_icnr_makes_the_subpixel_block_a_convolution_then_nearest_upsampling() -> None:
    conv = nn.Conv2d(3, 5 * 4, 3, padding=1)
    icnr_(conv, 2, generator=torch.Generator().manual_seed(0))
    x = torch.randn(2, 3, 6, 7)
    base = F.conv2d(x, conv.weight[::4], conv.bias[::4], padding=1)  # one of each 4 copies
    out = nn.PixelShuffle(2)(conv(x))
    torch.testing.assert_close(out, F.interpolate(base, scale_factor=2, mode="nearest"))


def test_subpixel_upsample_doubles_the_size() -> None:
    block = SubPixelUpsample(4, 6, factor=2)
    assert block(torch.randn(2, 4, 5, 3)).shape == (2, 6, 10, 6)


def test_residual_block_is_the_identity_when_its_last_norm_is_zeroed() -> None:
    block = ResidualBlock(4, norm="batch", dilation=2).eval()
    nn.init.zeros_(block.body[-1].weight)  # the BN scale after the second convolution
    x = torch.randn(2, 4, 9, 7)
    torch.testing.assert_close(block(x), x)
    stack = ResidualStack(4, (1, 2), norm="none")
    assert stack(x).shape == x.shape


def test_residual_block_adds_its_body_to_the_input() -> None:
    block = ResidualBlock(3, norm="none", activation="relu")
    x = torch.randn(1, 3, 5, 5)
    conv1, _, _, conv2, _ = block.body
    expected = x + conv2(torch.relu(conv1(x)))
    torch.testing.assert_close(block(x), expected)


@pytest.mark.parametrize(("factor", "size"), [(2, (5, 7)), (4, (7, 7)), (8, (3, 2))])
def test_srresnet_scales_any_size_by_its_factor(factor, size) -> None:
    net = SRResNet(2, factor, width=8, blocks=1)
    assert net(torch.randn(3, 2, *size)).shape == (3, 2, size[0] * factor, size[1] * factor)


def test_srresnet_with_a_zero_tail_returns_the_bicubic_upscaling() -> None:
    net = SRResNet(1, 4, width=4, blocks=1)
    nn.init.zeros_(net.tail.weight)
    nn.init.zeros_(net.tail.bias)
    x = torch.rand(2, 1, 7, 5) * 2 - 1
    torch.testing.assert_close(net(x), bicubic_upscale(x, 4))
    assert not SRResNet(1, 4, width=4, blocks=1, bicubic_skip=False).bicubic_skip


def test_srresnet_rejects_factors_that_are_not_powers_of_two() -> None:
    with pytest.raises(ConfigError, match="--factor"):
        SRResNet(1, 3)


def test_area_downscale_is_the_mean_of_each_block() -> None:
    x = torch.arange(2 * 8 * 12, dtype=torch.float32).view(1, 2, 8, 12)
    low = downscale(x, 4, "area")
    assert low.shape == (1, 2, 2, 3)
    assert low[0, 1, 1, 2] == x[0, 1, 4:8, 8:12].mean()


def test_bicubic_downscale_keeps_constant_images_and_the_value_range() -> None:
    x = torch.full((1, 1, 8, 8), 0.3)
    torch.testing.assert_close(downscale(x, 2, "bicubic"), torch.full((1, 1, 4, 4), 0.3))
    y = torch.rand(2, 1, 16, 12)
    low = downscale(y, 4, "bicubic")
    assert low.shape == (2, 1, 4, 3) and low.min() >= y.min() and low.max() <= y.max()
    with pytest.raises(ConfigError, match="--downscale"):
        downscale(y, 2, "lanczos")


@pytest.mark.parametrize("size", [(28, 28), (112, 92), (13, 17)])
def test_inpainting_net_keeps_the_image_size(size) -> None:
    net = InpaintingNet(1, size, widths=(4, 8, 8), dilations=(2, 4))
    out = net(torch.randn(2, 2, *size))
    assert out.shape == (2, 1, *size) and out.abs().max() <= 1.0


def test_global_local_score_is_the_sum_of_the_two_networks() -> None:
    disc = GlobalLocalDiscriminator(1, (16, 12), (8, 6), widths=(4, 8), norm="none")
    images = torch.randn(3, 1, 16, 12)
    masks = torch.zeros(3, 1, 16, 12)
    masks[0, :, 2:4, 1:3] = 1
    masks[1, :, 10:15, 8:12] = 1
    tops, lefts = hole_windows(masks, (8, 6))
    crops = torch.stack(
        [images[i, :, t : t + 8, l : l + 6] for i, (t, l) in enumerate(zip(tops, lefts))]
    )
    expected = disc.global_net(images) + disc.local_net(crops)
    torch.testing.assert_close(disc(images, masks), expected)


def test_a_linear_head_on_concatenated_features_is_the_sum_of_two_heads() -> None:
    a, b = torch.randn(4, 6), torch.randn(4, 3)
    head = nn.Linear(9, 1)
    w_a, w_b = head.weight[:, :6], head.weight[:, 6:]
    torch.testing.assert_close(head(torch.cat([a, b], 1)), a @ w_a.T + b @ w_b.T + head.bias)


def test_crop_windows_is_differentiable() -> None:
    images = torch.randn(2, 3, 10, 10, requires_grad=True)
    crop = crop_windows(images, torch.tensor([0, 4]), torch.tensor([5, 1]), (6, 5))
    crop.sum().backward()
    assert images.grad.sum() == 2 * 3 * 6 * 5
    torch.testing.assert_close(crop[1], images[1, :, 4:10, 1:6])
