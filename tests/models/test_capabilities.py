"""Every model declares what it can do, and each declared method really works."""

from __future__ import annotations

import pytest
import torch

from latentforge.errors import ConfigError
from latentforge.models.autoencoder import Autoencoder
from latentforge.models.base import MODELS, ModelRegistry, build_model
from latentforge.models.capabilities import (
    CAPABILITIES,
    Classifies,
    Decodes,
    Encodes,
    GivesLikelihood,
    Inpaints,
    PairedOutputs,
    Reconstructs,
    Translates,
    Upscales,
    capability_names,
    require_capability,
)

EXPECTED = {
    "ae": {Decodes, Reconstructs, Encodes},
    "vae": {Decodes, Reconstructs, Encodes, GivesLikelihood},
    "dbvae": {Decodes, Reconstructs, Encodes, GivesLikelihood, Classifies},
    "gan": {Decodes},
    "dcgan": {Decodes},
    "wgan": {Decodes},
    "wgan-gp": {Decodes},
    "progan": {Decodes},
    "pix2pix": {Translates, PairedOutputs},
    "cyclegan": {Translates, PairedOutputs},
    "srgan": {Reconstructs, Upscales, PairedOutputs},
    "inpainting": {Reconstructs, Inpaints, PairedOutputs},
}


def _model(name: str):
    torch.manual_seed(0)
    return build_model(name, {"positive_classes": (5, 7)} if name == "dbvae" else {}).eval()


def test_every_registered_model_is_listed() -> None:
    assert set(MODELS.names()) == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_declared_capabilities(name: str) -> None:
    model = _model(name)
    declared = {cap for cap in CAPABILITIES if isinstance(model, cap)}
    assert declared == EXPECTED[name]
    assert capability_names(model) == [c.__name__ for c in CAPABILITIES if c in declared]


@pytest.mark.parametrize("name", sorted(EXPECTED))
@torch.no_grad()
def test_declared_methods_run_with_the_promised_shapes(name: str) -> None:
    model = _model(name)
    c, h, w = model.config.in_channels, *model.config.image_size
    images = torch.rand(2, c, h, w)
    if isinstance(model, Decodes):
        z = model.sample_latent(3, torch.Generator().manual_seed(0))
        assert z.shape == (3, model.latent_dim)
        out = model.decode(z)
        assert out.shape[0] == 3 and out.shape[1] == c
    if isinstance(model, Encodes):
        codes = model.encode(images)
        assert codes.shape == (2, model.latent_dim)
        mean, tril = model.latent_prior()
        assert mean.shape == (model.latent_dim,) and tril.shape == (model.latent_dim,) * 2
    if isinstance(model, Reconstructs):
        assert model.reconstruct(images).shape == images.shape
    if isinstance(model, GivesLikelihood):
        mu, logvar = model.encode_distribution(images)
        assert model.log_likelihood(images, mu).shape == (2,)
        assert logvar.shape == mu.shape
    if isinstance(model, Translates):
        for direction in model.directions:
            source = torch.rand(2, *model.source_shape(direction))
            assert model.translate(source, direction).shape[0] == 2
    if isinstance(model, Upscales):
        low = torch.rand(2, c, h // model.scale, w // model.scale)
        assert model.upscale(low).shape == (2, c, h, w)
    if isinstance(model, Inpaints):
        masks = model.masks(2, torch.Generator().manual_seed(0))
        assert masks.shape == (2, 1, h, w)
        assert model.inpaint(images, masks).shape == images.shape
    if isinstance(model, PairedOutputs):
        data = torch.rand(2, *model.data_shape)
        outputs, targets = model.paired_outputs(data)
        assert outputs.shape == targets.shape
    if isinstance(model, Classifies):
        codes, logits = model.encode_with_logits(images)
        torch.testing.assert_close(codes, model.encode(images))
        torch.testing.assert_close(logits, model.classify(images))
        assert logits.shape == (2,)
        assert model.is_positive(torch.tensor([5, 6, 7])).tolist() == [True, False, True]


def test_registering_a_model_names_its_model_type() -> None:
    registry = ModelRegistry("model")

    @registry.register("tiny-ae")
    class TinyAE(Autoencoder):
        pass

    assert TinyAE.model_type == "tiny-ae" and registry.get("tiny-ae") is TinyAE
    assert Autoencoder.model_type == "ae"  # the parent keeps its own name
    for name in MODELS.names():
        assert MODELS.get(name).model_type == name


def test_require_capability_passes_a_declared_ability_and_names_a_missing_one() -> None:
    require_capability(_model("ae"), Encodes, "never shown")
    with pytest.raises(ConfigError) as caught:
        require_capability(_model("gan"), Encodes, "has no encoder; use an ae run")
    assert str(caught.value) == "a gan model has no encoder; use an ae run"
    with pytest.raises(ConfigError, match=r"^a Linear model cannot decode$"):
        require_capability(torch.nn.Linear(1, 1), Decodes, "cannot decode")
