import pytest
import torch

from latentforge.errors import ConfigError
from latentforge.nn.blocks import downsampled_sizes
from latentforge.nn.conv_nets import ConvDecoder, ConvEncoder
from latentforge.nn.upsample import Upsample


@pytest.mark.parametrize("size", [(28, 28), (32, 32), (17, 23), (64, 48), (5, 5)])
@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("mode", ["transposed", "nearest", "bilinear"])
def test_decoder_inverts_encoder_shape_for_any_size(size, channels, mode):
    encoder = ConvEncoder(channels, size, out_features=7, hidden_channels=(8, 16, 16))
    decoder = ConvDecoder(7, channels, size, hidden_channels=(8, 16, 16), upsample=mode)
    x = torch.rand(3, channels, *size)
    z = encoder(x)
    assert z.shape == (3, 7)
    assert decoder(z).shape == (3, channels, *size)


def test_downsampled_sizes_round_up():
    assert downsampled_sizes((28, 28), 3) == [(28, 28), (14, 14), (7, 7), (4, 4)]
    assert downsampled_sizes((17, 23), 2) == [(17, 23), (9, 12), (5, 6)]


@pytest.mark.parametrize(
    "in_size,out_size", [((4, 4), (7, 7)), ((7, 7), (14, 14)), ((3, 5), (6, 9))]
)
def test_upsample_modes_reach_exact_target(in_size, out_size):
    for mode in ("transposed", "nearest", "bilinear"):
        layer = Upsample(4, 2, in_size, out_size, mode)
        assert layer(torch.rand(1, 4, *in_size)).shape == (1, 2, *out_size)


def test_nearest_upsampling_repeats_pixels_before_the_convolution():
    layer = Upsample(1, 1, (2, 2), (4, 4), "nearest")
    resized = layer.resize(torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]]))
    expected = torch.tensor([[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]).float()
    assert torch.equal(resized[0, 0], expected)


def test_unknown_upsampling_mode_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown upsampling 'cubic'"):
        Upsample(1, 1, (2, 2), (4, 4), "cubic")
