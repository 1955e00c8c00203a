"""DB-VAE: the loss against its formula by hand, the target from the labels, the weights
set after each epoch, saving, and the errors."""

import math

import numpy as np
import pytest
import torch

from latentforge.errors import ConfigError, DataError
from latentforge.models import DBVAE, DBVAEConfig, GenerativeModel
from latentforge.models.dbvae import encode_batches

SMALL = dict(latent_dim=3, hidden_channels=(4, 8), image_size=(8, 8), positive_classes=(5, 7, 9))


def make_model(**changes) -> DBVAE:
    torch.manual_seed(0)
    return DBVAE(DBVAEConfig(**{**SMALL, **changes}))


@pytest.fixture
def images():
    return torch.rand(6, 1, 8, 8, generator=torch.Generator().manual_seed(1))


def loss_by_hand(model: DBVAE, images, labels, beta, seed):
    """(1/N) sum_n [BCE(c_n, y_n) + y_n (sum_pixels BCE(x_n, decoder(z_n)) + beta KL_n)]."""
    features = model.encoder(images * 2 - 1)
    d = model.config.latent_dim
    c, mu, logvar = features[:, 0], features[:, 1 : 1 + d], features[:, 1 + d :]
    y = torch.tensor([1.0 if int(label) in (5, 7, 9) else 0.0 for label in labels])
    p = torch.sigmoid(c)
    classification = -(y * torch.log(p) + (1 - y) * torch.log(1 - p))
    total = classification.clone()
    positives = [n for n in range(len(y)) if y[n] == 1]
    torch.manual_seed(seed)  # the loss draws eps for the positives, in order
    eps = torch.randn(len(positives), d) if positives else None
    for k, n in enumerate(positives):
        z = mu[n] + torch.exp(0.5 * logvar[n]) * eps[k]
        s = torch.sigmoid(model.decoder(z[None]))[0]
        x = images[n]
        recon = -(x * torch.log(s) + (1 - x) * torch.log(1 - s)).sum()
        kl = -0.5 * (1 + logvar[n] - mu[n] ** 2 - torch.exp(logvar[n])).sum()
        total[n] = total[n] + recon + beta * kl
    return total.mean(), classification.mean()


@pytest.mark.parametrize(
    "labels",
    [[5, 0, 7, 1, 9, 2], [5, 7, 9, 5, 7, 9], [0, 1, 2, 3, 4, 6]],
    ids=["mixed", "all-positive", "no-positive"],
)
def test_loss_is_classification_on_all_plus_vae_on_positives(images, labels):
    model = make_model(beta=0.5)
    labels = torch.tensor(labels)
    torch.manual_seed(3)
    out = model.batch_loss({"images": images, "labels": labels})
    expected, classification = loss_by_hand(model, images, labels, beta=0.5, seed=3)
    assert out.loss.item() == pytest.approx(expected.item(), rel=1e-5)
    assert out.logs["classification"].item() == pytest.approx(classification.item(), rel=1e-5)
    logged = out.logs["classification"] + out.logs["recon"] + 0.5 * out.logs["kl"]
    assert out.loss.item() == pytest.approx(logged.item(), rel=1e-6)


def test_batch_without_positives_still_gives_every_parameter_a_gradient(images):
    model = make_model()
    out = model.batch_loss({"images": images, "labels": torch.zeros(6, dtype=torch.long)})
    assert out.logs["recon"].item() == 0 and out.logs["kl"].item() == 0
    out.loss.backward()
    assert all(p.grad is not None for p in model.parameters())
    assert all(torch.count_nonzero(p.grad) == 0 for p in model.decoder.parameters())


def test_accuracy_log_counts_correct_signs(images):
    model = make_model()
    labels = torch.tensor([5, 0, 7, 1, 9, 2])
    out = model.batch_loss({"images": images, "labels": labels})
    predicted = model.classify(images) > 0
    truth = torch.tensor([True, False, True, False, True, False])
    assert out.logs["accuracy"].item() == pytest.approx((predicted == truth).float().mean().item())


def test_encoder_outputs_a_logit_then_mean_and_log_variance(images):
    model = make_model()
    features = model.encoder(images * 2 - 1)
    assert features.shape == (6, 1 + 2 * 3)
    logit, mu, logvar = model.encode_all(images)
    assert torch.equal(logit, features[:, 0])
    assert torch.equal(mu, features[:, 1:4]) and torch.equal(logvar, features[:, 4:])
    assert torch.equal(model.encode(images), mu)


def test_data_without_labels_is_a_clear_error(images):
    model = make_model()
    with pytest.raises(DataError, match="needs labelled images.*5,7,9"):
        model.batch_loss({"images": images})
    with pytest.raises(DataError, match="needs labelled images"):
        model.after_epoch(lambda: iter([{"images": images}]))


def test_training_data_without_any_positive_is_a_clear_error(images):
    model = make_model()
    batches = [{"images": images, "labels": torch.zeros(6, dtype=torch.long)}]
    with pytest.raises(DataError, match="none of the training images.*5,7,9"):
        model.after_epoch(lambda: iter(batches))


@pytest.mark.parametrize("combine", ["product", "max"])
def test_after_epoch_sets_the_weights_from_the_positives_histograms(combine):
    torch.manual_seed(0)
    images = torch.rand(40, 1, 8, 8)
    labels = torch.arange(40) % 10
    model = make_model(bins=4, alpha=0.05, combine=combine)
    assert model.sampling_weights() is None  # before any epoch: uniform epochs
    batches = [{"images": images[i : i + 16], "labels": labels[i : i + 16]} for i in (0, 16, 32)]
    model.after_epoch(lambda: iter(batches))
    weights = model.sampling_weights()
    positive = np.isin(labels.numpy(), [5, 7, 9])
    assert weights.shape == (40,) and weights.sum().item() == pytest.approx(1.0)
    np.testing.assert_allclose(weights[~positive].numpy(), 1 / 40)
    with torch.no_grad():
        mu = model.encode(images)[torch.from_numpy(positive)].double().numpy()
    per_dim = []
    for i in range(mu.shape[1]):
        counts, edges = np.histogram(mu[:, i], bins=4)
        per_dim.append(1 / (counts[np.digitize(mu[:, i], edges[1:-1])] / len(mu) + 0.05))
    per_dim = np.stack(per_dim, axis=1)
    if combine == "product":
        direct = per_dim.prod(axis=1)
    else:
        direct = (per_dim / per_dim.sum(axis=0)).max(axis=1)
    direct *= positive.mean() / direct.sum()
    np.testing.assert_allclose(weights[positive].numpy(), direct, rtol=1e-6)


def test_no_debias_keeps_uniform_epochs(images):
    model = make_model(debias=False)
    model.after_epoch(lambda: iter([{"images": images, "labels": torch.full((6,), 5)}]))
    assert model.sampling_weights() is None


def test_encode_batches_keeps_order_and_training_mode(images):
    model = make_model().train()
    labels = torch.tensor([5, 0, 7, 1, 9, 2])
    batches = [{"images": images[s], "labels": labels[s]} for s in (slice(0, 4), slice(4, 6))]
    encoded = encode_batches(model, batches)
    assert model.training
    model.eval()
    with torch.no_grad():
        logit, mu, _ = model.encode_all(images)
    torch.testing.assert_close(encoded.codes, mu)
    torch.testing.assert_close(encoded.logits, logit)
    assert torch.equal(encoded.labels, labels)


def test_save_and_load_round_trip(tmp_path, images):
    model = make_model().eval()
    model.save_pretrained(tmp_path / "m")
    loaded = GenerativeModel.from_pretrained(tmp_path / "m")
    assert type(loaded) is DBVAE and loaded.config == model.config
    assert loaded.config.positive_classes == (5, 7, 9)
    assert torch.equal(loaded.classify(images), model.classify(images))


def test_default_alpha_depends_on_the_combination():
    assert DBVAEConfig(**SMALL).alpha == 1.0
    assert DBVAEConfig(**SMALL, combine="max").alpha == 0.01
    assert DBVAEConfig(**SMALL, combine="max", alpha=0.5).alpha == 0.5


@pytest.mark.parametrize(
    "changes,message",
    [
        ({"positive_classes": ()}, "--positive-classes is required"),
        ({"positive_classes": (5, 5)}, "--positive-classes must be distinct"),
        ({"positive_classes": (-1,)}, "--positive-classes must be distinct label ids >= 0"),
        ({"alpha": -0.1}, "--alpha must be a finite number >= 0"),
        ({"alpha": math.inf}, "--alpha must be a finite number >= 0"),
        ({"bins": 0}, "--bins must be an integer >= 1"),
        ({"combine": "mean"}, "--combine must be one of product, max"),
    ],
)
def test_bad_options_name_the_option(changes, message):
    with pytest.raises(ConfigError, match=message):
        DBVAEConfig(**{**SMALL, **changes})


def test_grids_reconstruct_the_positives_only(images):
    model = make_model().eval()
    batch = {"images": images, "labels": torch.tensor([5, 0, 7, 1, 2, 3])}
    shown = model.visualize(batch, torch.Generator().manual_seed(0))
    recon = shown["reconstructions"]  # originals and reconstructions of images 0 and 2
    assert recon.shape[0] == 4
    assert torch.equal(recon[0], images[0]) and torch.equal(recon[1], images[2])
