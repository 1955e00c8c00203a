import dataclasses

import numpy as np
import pytest
import torch

from latentforge.apps.denoising import denoise, evaluate_denoising
from latentforge.data import load_data
from latentforge.data.batching import iterate_batches
from latentforge.data.corruption import GaussianNoise
from latentforge.errors import ConfigError
from latentforge.models.encoder_decoder import EncoderDecoderModel
from latentforge.steps.train_config import TrainConfig
from latentforge.training.checkpoint import latest_checkpoint, load_checkpoint_state
from latentforge.training.run import DataConfig, RunConfig, train


def test_denoise_is_the_reconstruction_of_each_image_in_any_batching(ae, images):
    with torch.no_grad():
        expected = ae.decode(ae.encode(images))
    torch.testing.assert_close(denoise(ae, images, batch_size=3), expected)
    torch.testing.assert_close(denoise(ae, images, batch_size=100), expected)


def test_denoise_needs_a_model_that_reconstructs():
    with pytest.raises(ConfigError, match="cannot denoise"):
        denoise(torch.nn.Linear(2, 2), torch.zeros(1, 1, 2, 2))


def _psnr_by_hand(pred: torch.Tensor, clean: torch.Tensor) -> float:
    mse = ((pred.double() - clean.double()) ** 2).flatten(1).mean(1).numpy()
    return float(np.mean(10 * np.log10(1.0 / mse)))


def test_evaluation_measures_noisy_and_denoised_against_clean(ae, images):
    result = evaluate_denoising(ae, images, GaussianNoise(0.3), torch.Generator().manual_seed(1))
    expected_noisy = GaussianNoise(0.3)(images, torch.Generator().manual_seed(1))
    torch.testing.assert_close(result.noisy, expected_noisy)
    torch.testing.assert_close(result.denoised, denoise(ae, expected_noisy))
    assert result.psnr_noisy == pytest.approx(_psnr_by_hand(result.noisy, images), rel=1e-5)
    assert result.psnr_denoised == pytest.approx(_psnr_by_hand(result.denoised, images), rel=1e-5)
    assert result.psnr_gain == pytest.approx(result.psnr_denoised - result.psnr_noisy)
    assert -1 <= result.ssim_noisy <= 1 and -1 <= result.ssim_denoised <= 1


TINY_RUN = RunConfig(
    model_type="ae",
    model={"latent_dim": 4, "hidden_channels": (8, 16)},
    data=DataConfig(spec="sample", val_fraction=0.0, noise="gaussian:0.3"),
    train=TrainConfig(
        epochs=1,
        batch_size=16,
        seed=3,
        device="cpu",
        progress=False,
        tensorboard=False,
        num_workers=0,
        log_every=1,
        max_steps=4,
    ),
)


def test_training_with_noise_corrupts_inputs_and_keeps_clean_targets(tmp_path, monkeypatch):
    seen = []
    original = EncoderDecoderModel.batch_loss

    def spy(self, batch):
        if batch["images"].device.type != "meta":  # not the memory preflight's shapes-only step
            seen.append({k: v.clone() for k, v in batch.items()})
        return original(self, batch)

    monkeypatch.setattr(EncoderDecoderModel, "batch_loss", spy)
    train(dataclasses.replace(TINY_RUN, train=TINY_RUN.train.replace(max_steps=2)), tmp_path)
    data = load_data("sample", val_fraction=0.0, seed=3)
    clean = iterate_batches(data.train, 16, seed=3, epoch=0, num_workers=0)
    for batch, expected in zip(seen, clean):
        torch.testing.assert_close(batch["images"], expected["images"], rtol=0, atol=0)
        assert not torch.equal(batch["inputs"], batch["images"])
        noise = batch["inputs"] - batch["images"]
        inside = (batch["inputs"] > 0) & (batch["inputs"] < 1)  # unclipped values
        assert noise[inside].std().item() == pytest.approx(0.3, rel=0.15)
    assert len(seen) == 2


def test_a_noisy_run_resumes_bit_exactly(tmp_path):
    train(TINY_RUN, tmp_path / "straight")
    half = dataclasses.replace(TINY_RUN, train=TINY_RUN.train.replace(max_steps=2))
    train(half, tmp_path / "resumed")
    train(None, tmp_path / "resumed", resume=True, overrides={"max_steps": 4})
    straight, _ = load_checkpoint_state(latest_checkpoint(tmp_path / "straight"))
    resumed, _ = load_checkpoint_state(latest_checkpoint(tmp_path / "resumed"))
    assert straight.keys() == resumed.keys()
    for key in straight:
        assert torch.equal(straight[key], resumed[key]), key
