"""The engine draws each epoch with the weights a model gives, and keeps them for resume."""

import pytest
import torch
from safetensors.torch import load_file

from latentforge.data.base import DataBundle
from latentforge.errors import ShapeError
from latentforge.models import VAE, VAEConfig
from latentforge.training.checkpoint import latest_checkpoint, load_checkpoint_state
from latentforge.training.distributed import DistContext
from latentforge.training.engine import Trainer
from latentforge.training.run import build_for_data
from latentforge.utils.seeding import seed_everything

SMALL = {"latent_dim": 4, "hidden_channels": [8, 16]}


@pytest.fixture
def bundle(tiny_bundle):
    """192 training images (3 batches of 64) and 32 validation images: a fast run."""
    return DataBundle(
        "small",
        tiny_bundle.train.subset(torch.arange(192)),
        tiny_bundle.val.subset(torch.arange(32)),
        None,
        tiny_bundle.class_names,
    )


class OneClassPerEpoch(VAE):
    """Puts all the weight on the images of class ``epoch`` (0 first, then 1, ...)."""

    def __init__(self, config, labels):
        super().__init__(config)
        self.labels, self.epoch, self.seen = labels, 0, []

    def batch_loss(self, batch):
        if self.training:  # not the validation batches
            self.seen.append((self.epoch, batch["labels"].clone()))
        return super().batch_loss(batch)

    def after_epoch(self, train_batches):
        self.epoch += 1

    def sampling_weights(self):
        return (self.labels == self.epoch).float()


def test_each_epoch_is_drawn_with_the_weights_of_the_model(tmp_path, bundle, fast_train):
    seed_everything(0)
    model = OneClassPerEpoch(VAEConfig(**SMALL), bundle.train.labels)
    Trainer(model, bundle, fast_train.replace(epochs=2), tmp_path, DistContext()).fit()
    by_epoch = {e: torch.cat([labels for k, labels in model.seen if k == e]) for e in (0, 1)}
    assert (by_epoch[0] == 0).all() and (by_epoch[1] == 1).all()
    assert len(by_epoch[0]) == len(by_epoch[1]) == 192


def test_weights_of_the_wrong_length_fail_before_training(tmp_path, bundle, fast_train):
    model = OneClassPerEpoch(VAEConfig(**SMALL), bundle.train.labels[:10])
    with pytest.raises(ShapeError, match=r"one weight per training image, shape \(192,\)"):
        Trainer(model, bundle, fast_train, tmp_path, DistContext())


def make_dbvae_trainer(bundle, train, run_dir):
    seed_everything(train.seed)
    options = {**SMALL, "positive_classes": [5, 7, 9], "bins": 5, "alpha": 0.001}
    model = build_for_data("dbvae", options, bundle)
    return Trainer(model, bundle, train, run_dir, DistContext())


def test_dbvae_resume_mid_epoch_with_weights_is_bit_exact(tmp_path, bundle, fast_train):
    cfg = fast_train.replace(epochs=2)
    make_dbvae_trainer(bundle, cfg, tmp_path / "whole").fit()
    make_dbvae_trainer(bundle, cfg.replace(max_steps=4), tmp_path / "broken").fit()
    _, state = load_checkpoint_state(latest_checkpoint(tmp_path / "broken"))
    weights = state["sampling_weights"]  # for epoch 2, fitted after epoch 1
    assert weights.shape == (192,) and weights.std() > 0  # really non-uniform
    seed_everything(999)
    resumed = make_dbvae_trainer(bundle, cfg, tmp_path / "broken")
    resumed.resume_from(latest_checkpoint(tmp_path / "broken"))
    assert resumed.progress.batch_in_epoch == 1 and torch.equal(resumed.sampling_weights, weights)
    resumed.fit()
    a = load_file(str(latest_checkpoint(tmp_path / "whole") / "model.safetensors"))
    b = load_file(str(latest_checkpoint(tmp_path / "broken") / "model.safetensors"))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
