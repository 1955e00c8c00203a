"""Evaluation metrics as plain functions: tensors or feature arrays in, numbers out.

Feature metrics (compare real and generated feature sets; also by name through ``METRICS``):
:func:`frechet_distance_from_features` (FID), :func:`kernel_inception_distance` (KID),
:func:`precision_recall_density_coverage` and :func:`mode_coverage`.
Model metrics: :func:`importance_weighted_nll`, :func:`negative_elbo`, :func:`bits_per_dim`.
Paired image metrics: :func:`mse`, :func:`psnr`, :func:`ssim` (and :func:`ssim_map`); inside a
hole: :func:`per_image_hole_psnr`, :func:`per_image_hole_ssim`.

The formulas, papers and how each estimate behaves with sample size: ``docs/concepts/metrics.md``.
"""

from latentforge.metrics.feature_metrics import METRICS, FeatureMetric, compute_feature_metrics
from latentforge.metrics.frechet import (
    FeatureStats,
    FeatureStatsAccumulator,
    frechet_distance,
    frechet_distance_from_features,
)
from latentforge.metrics.hole_quality import (
    per_image_hole_mse,
    per_image_hole_psnr,
    per_image_hole_ssim,
)
from latentforge.metrics.image_quality import (
    gaussian_window,
    mse,
    per_image_mse,
    per_image_psnr,
    per_image_ssim,
    psnr,
    ssim,
    ssim_map,
)
from latentforge.metrics.kid import kernel_inception_distance, mmd2_unbiased, polynomial_kernel
from latentforge.metrics.likelihood import (
    bits_per_dim,
    importance_weighted_nll,
    negative_elbo,
    standard_normal_log_prob,
)
from latentforge.metrics.modes import class_histogram, kl_divergence, mode_coverage
from latentforge.metrics.prdc import (
    expected_coverage,
    knn_radii,
    precision_recall_density_coverage,
)

__all__ = [
    "METRICS",
    "FeatureMetric",
    "FeatureStats",
    "FeatureStatsAccumulator",
    "bits_per_dim",
    "class_histogram",
    "compute_feature_metrics",
    "expected_coverage",
    "frechet_distance",
    "frechet_distance_from_features",
    "gaussian_window",
    "importance_weighted_nll",
    "kernel_inception_distance",
    "kl_divergence",
    "knn_radii",
    "mmd2_unbiased",
    "mode_coverage",
    "mse",
    "negative_elbo",
    "per_image_hole_mse",
    "per_image_hole_psnr",
    "per_image_hole_ssim",
    "per_image_mse",
    "per_image_psnr",
    "per_image_ssim",
    "polynomial_kernel",
    "precision_recall_density_coverage",
    "psnr",
    "ssim",
    "ssim_map",
    "standard_normal_log_prob",
]
