"""Linear coordinates: PCA whitening and FastICA on synthetic codes with known structure."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from latentforge.apps.coordinates import fit_ica, fit_pca_whitening, latent_axes
from latentforge.apps.total_correlation import knn_total_correlation
from latentforge.errors import ConfigError, DataError, ShapeError

MIXING = np.array([[1.0, 0.6, 0.2], [0.3, 1.0, -0.5], [-0.4, 0.2, 1.0]])


def _mixed_uniforms(n: int = 3000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Independent uniform sources (unit variance) and their linear mixture plus an offset."""
    rng = np.random.default_rng(seed)
    sources = rng.uniform(-np.sqrt(3), np.sqrt(3), size=(n, 3))
    return sources, sources @ MIXING.T + np.array([2.0, -1.0, 0.5])


def _abs_cross_correlation(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    k = a.shape[1]
    return np.abs(np.corrcoef(a.T, b.T)[:k, k:])


def test_ica_recovers_mixed_independent_uniform_sources() -> None:
    sources, codes = _mixed_uniforms()
    ica = fit_ica(torch.from_numpy(codes), seed=0)
    assert ica.converged and ica.name == "ica" and ica.components == 3
    recovered = ica.coordinates(torch.from_numpy(codes).float()).double().numpy()
    match = _abs_cross_correlation(recovered, sources)  # a permutation matrix, up to sign
    assert np.all(match.max(1) > 0.98)
    assert sorted(match.argmax(1).tolist()) == [0, 1, 2]
    # Each direction is, up to order, sign and scale, a column of the true mixing matrix.
    directions = ica.directions.double().numpy()
    for k, j in enumerate(match.argmax(1)):
        cosine = directions[k] @ MIXING[:, j] / np.linalg.norm(directions[k])
        assert abs(cosine) / np.linalg.norm(MIXING[:, j]) > 0.98


def test_ica_lowers_the_total_correlation_left_after_whitening() -> None:
    _, codes = _mixed_uniforms()
    x = torch.from_numpy(codes).float()
    whitened = fit_pca_whitening(x).coordinates(x)
    independent = fit_ica(x, seed=0).coordinates(x)
    assert knn_total_correlation(independent) < knn_total_correlation(whitened) - 0.05


def test_pca_whitening_gives_uncorrelated_unit_variance_coordinates() -> None:
    _, codes = _mixed_uniforms()
    pca = fit_pca_whitening(codes)
    c = pca.coordinates(torch.from_numpy(codes)).double().numpy()
    np.testing.assert_allclose(np.cov(c.T), np.eye(3), atol=1e-4)
    eigenvalues = np.sort(np.linalg.eigvalsh(np.cov(codes.T)))[::-1]
    np.testing.assert_allclose(np.linalg.norm(pca.mixing.double().numpy(), axis=0) ** 2,
                               eigenvalues, rtol=1e-4)  # fmt: skip


@pytest.mark.parametrize("fit", [fit_pca_whitening, fit_ica])
def test_full_rank_coordinates_give_the_codes_back(fit) -> None:
    _, codes = _mixed_uniforms(500)
    x = torch.from_numpy(codes).float()
    coords = fit(x)
    torch.testing.assert_close(coords.codes(coords.coordinates(x)), x, atol=1e-4, rtol=1e-4)


def test_fewer_components_project_onto_the_top_principal_subspace() -> None:
    rng = np.random.default_rng(1)
    codes = rng.normal(size=(800, 3)) * np.array([5.0, 2.0, 0.01])
    pca = fit_pca_whitening(codes, components=2)
    assert pca.components == 2
    back = pca.codes(pca.coordinates(torch.from_numpy(codes).float())).double().numpy()
    np.testing.assert_allclose(back[:, :2], codes[:, :2], atol=1e-3)


def test_axes_are_the_identity() -> None:
    axes = latent_axes(4)
    z = torch.randn(5, 4)
    torch.testing.assert_close(axes.coordinates(z), z)
    torch.testing.assert_close(axes.directions, torch.eye(4))


def test_bad_coordinate_requests_are_refused() -> None:
    _, codes = _mixed_uniforms(50)
    with pytest.raises(ConfigError, match="--ica must be between 1 and the latent size 3"):
        fit_ica(codes, components=4)
    with pytest.raises(DataError, match="more than 3 codes"):
        fit_ica(codes[:3])
    bad = codes.copy()
    bad[0, 0] = np.nan
    with pytest.raises(DataError, match="NaN"):
        fit_pca_whitening(bad)
    with pytest.raises(ShapeError):
        fit_pca_whitening(codes[:, 0])
    with pytest.raises(ShapeError, match="fitted on 3"):
        latent_axes(3).coordinates(torch.zeros(2, 5))
    with pytest.raises(DataError, match="no variance"):
        fit_pca_whitening(np.c_[codes[:, :2], codes[:, 0] + codes[:, 1]])
