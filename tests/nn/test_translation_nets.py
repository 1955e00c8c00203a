"""U-Net, PatchGAN, residual block and ResNet generator: shapes for several sizes, the
PatchGAN's receptive field measured by autograd against its formula, the skip of a residual
block, dropout only in training."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from latentforge.errors import ShapeError
from latentforge.nn.patchgan import PatchGAN, patchgan_output_size, patchgan_receptive_field
from latentforge.nn.residual import ResidualBlock
from latentforge.nn.resnet_generator import ResnetGenerator
from latentforge.nn.unet import UNet


@pytest.mark.parametrize("size", [(28, 28), (12, 20), (9, 7)])
@pytest.mark.parametrize("channels", [(4,), (4, 8, 8), (4, 8, 8, 8, 8)])
def test_unet_keeps_the_image_size_for_any_size_and_depth(size, channels) -> None:
    net = UNet(2, 3, size, channels, dropout=0.0)
    out = net(torch.rand(2, 2, *size) * 2 - 1)
    assert out.shape == (2, 3, *size)
    assert out.abs().max() <= 1.0  # tanh output


def test_unet_output_depends_on_the_skip_connections() -> None:
    """Zeroing the innermost map leaves a path from the input to the output only through the
    skips; the output still changes with the input."""
    torch.manual_seed(0)
    net = UNet(1, 1, (16, 16), (4, 8, 8), norm="none", dropout=0.0).eval()
    net.downs[-1][0].weight.data.zero_()
    net.downs[-1][0].bias.data.zero_()
    x = torch.rand(1, 1, 16, 16)
    assert not torch.allclose(net(x), net(x.flip(-1)))


def test_unet_dropout_is_random_in_training_and_off_in_eval() -> None:
    torch.manual_seed(0)
    net = UNet(1, 1, (16, 16), (4, 8, 8), norm="none", dropout=0.5, dropout_layers=2)
    x = torch.rand(2, 1, 16, 16)
    assert not torch.equal(net(x), net(x))
    net.eval()
    assert torch.equal(net(x), net(x))
    dropouts = [m for m in net.modules() if isinstance(m, nn.Dropout)]
    assert len(dropouts) == 2


@pytest.mark.parametrize("depth", [1, 2, 3, 4])
def test_patchgan_receptive_field_matches_the_formula_by_autograd(depth) -> None:
    """The input pixels that reach one central score span exactly r x r, with
    r = 1 + sum_l (k_l - 1) prod_{m<l} t_m: 7, 16, 34, 70 for 1..4 layers."""
    assert [patchgan_receptive_field(d) for d in (1, 2, 3, 4)] == [7, 16, 34, 70]
    torch.manual_seed(0)
    size = 96
    net = PatchGAN(1, (size, size), (4,) * depth, norm="none")
    x = torch.rand(1, 1, size, size, requires_grad=True)
    scores = net(x)
    h, w = scores.shape[-2:]
    scores[0, 0, h // 2, w // 2].backward()
    rows = torch.nonzero(x.grad[0, 0].abs().sum(dim=1)).flatten()
    cols = torch.nonzero(x.grad[0, 0].abs().sum(dim=0)).flatten()
    field = patchgan_receptive_field(depth)
    assert rows.max() - rows.min() + 1 == field
    assert cols.max() - cols.min() + 1 == field


@pytest.mark.parametrize("size", [16, 28, 31, 64])
@pytest.mark.parametrize("depth", [1, 2, 3])
def test_patchgan_output_size_formula(size, depth) -> None:
    net = PatchGAN(2, (size, size + 3), (4,) * depth)
    out = net(torch.rand(2, 2, size, size + 3))
    assert out.shape == (
        2,
        1,
        patchgan_output_size(size, depth),
        patchgan_output_size(size + 3, depth),
    )
    assert net.output_size == tuple(out.shape[-2:])


def test_patchgan_too_deep_for_the_image_names_the_fix() -> None:
    with pytest.raises(ShapeError, match="--d-channels"):
        PatchGAN(1, (12, 12), (4, 8, 16, 32))


def test_residual_block_is_the_identity_when_its_body_gives_zero() -> None:
    block = ResidualBlock(4, norm="none", padding_mode="reflect")
    last_conv = block.body[3]
    last_conv.weight.data.zero_()
    last_conv.bias.data.zero_()
    x = torch.randn(2, 4, 5, 6)
    assert torch.equal(block(x), x)
    last_conv.bias.data.fill_(1.0)
    assert torch.allclose(block(x), x + 1.0)


@pytest.mark.parametrize("size", [(28, 28), (12, 20)])
@pytest.mark.parametrize("channels", [(4,), (4, 8), (4, 8, 8)])
def test_resnet_generator_keeps_the_image_size(size, channels) -> None:
    net = ResnetGenerator(3, 1, size, channels, residual_blocks=2)
    out = net(torch.rand(2, 3, *size))
    assert out.shape == (2, 1, *size) and out.abs().max() <= 1.0
