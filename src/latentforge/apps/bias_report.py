"""The bias report on disk: image grids and plots as PNG, the numbers as JSON, and one HTML
page (images embedded) that shows them together.

    OUT/rarest.png            the population images of lowest estimated latent density
    OUT/most_common.png       ... of highest density
    OUT/regions.png           per latent dimension: its rarest bin's images | its commonest bin's
    OUT/weights.png           histogram of the resampling weights, by class
    OUT/latent_histograms.png the per-dimension histograms Q_i
    OUT/summary.json          see :func:`latentforge.apps.bias.bias_summary`
    OUT/report.html
"""

from __future__ import annotations

import html
from pathlib import Path

import torch

from latentforge.apps.bias import BiasAnalysis, bias_summary
from latentforge.data.base import ImageSet
from latentforge.errors import ConfigError
from latentforge.utils.files import atomic_write_bytes, atomic_write_json, atomic_write_text
from latentforge.viz.bias_plots import plot_latent_histograms, plot_weight_histogram
from latentforge.viz.grid import make_grid, save_image
from latentforge.viz.report import REPORT_STYLE, png_tag

GRID_SCALE = 2


def _images(image_set: ImageSet, indices: list[int]) -> torch.Tensor:
    images, _ = image_set.take(torch.as_tensor(indices, dtype=torch.long))
    return images.float() / 255.0


def _regions_grid(image_set: ImageSet, rows: list[dict], per_side: int) -> torch.Tensor:
    """One row per dimension: ``per_side`` rare-bin images, a blank, ``per_side`` common ones."""
    blank = torch.ones(1, *image_set.shape)
    tiles = []
    for row in rows:
        for key in ("rare_images", "common_images"):
            found = _images(image_set, row[key]) if row[key] else blank[:0]
            tiles += [found, blank.expand(per_side - len(found), *image_set.shape)]
            if key == "rare_images":
                tiles.append(blank)
    return make_grid(torch.cat(tiles), nrow=2 * per_side + 1)


def _class_rows_html(classes: list[dict]) -> str:
    head = (
        "<tr><th>label</th><th>class</th><th>images</th><th>share (uniform)</th>"
        "<th>share (resampled)</th><th>mean weight / uniform</th><th>accuracy</th></tr>"
    )

    def cell(row: dict, key: str, form: str) -> str:
        return f"<td>{format(row[key], form)}</td>" if key in row else "<td>-</td>"

    body = "".join(
        f"<tr><td>{row['label']}</td><td>{html.escape(row['name'])}</td><td>{row['count']}</td>"
        + cell(row, "uniform_share", ".3f")
        + cell(row, "resampled_share", ".3f")
        + cell(row, "mean_weight_ratio", ".2f")
        + cell(row, "accuracy", ".3f")
        + "</tr>"
        for row in classes
    )
    return f"<table>{head}{body}</table>"


def _html(summary: dict, pngs: dict[str, bytes], title: str) -> str:
    figure = "<figure>{}<figcaption>{}</figcaption></figure>"
    parts = [
        f"<h1>Bias report{': ' + html.escape(title) if title else ''}</h1>",
        f"<p>{summary['images']} images; the latent histograms describe the "
        f"{html.escape(summary['population'])}: {summary['population_size']} images, "
        f"{summary['latent_dim']} latent dimensions, {summary['bins']} bins each, "
        f"alpha = {summary['alpha']:g}, combined by {summary['combine']}. Effective sample "
        f"size of the resampled population: {summary['effective_sample_size']:.1f}. From "
        "w_i = 1 / (Q_i(z_i) + alpha), an image's weight is the product of its w_i (or, with "
        "max, its largest normalised w_i): rare latent regions are drawn more often.</p>",
    ]
    if summary["classes"]:
        parts += ["<h2>By class</h2>", _class_rows_html(summary["classes"])]
    parts += [
        "<h2>Rarest and most common latent regions</h2><div class='grids'>",
        figure.format(png_tag(pngs["rarest"], "grid", "rarest"), "lowest density (rarest)"),
        figure.format(png_tag(pngs["most_common"], "grid", "common"), "highest density"),
        "</div><h2>Per latent dimension</h2><p>One row per dimension (rarest bin first): "
        "images from its rarest non-empty bin, then from its most common bin.</p>",
        png_tag(pngs["regions"], "grid", "regions"),
        "<h2>Sampling weights</h2>",
        png_tag(pngs["weights"], "", "weights"),
        png_tag(pngs["latent_histograms"], "", "latent histograms"),
    ]
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>latentforge bias report</title>"
        f"<style>{REPORT_STYLE}</style></head><body>{''.join(parts)}</body></html>\n"
    )


def write_bias_report(
    analysis: BiasAnalysis,
    image_set: ImageSet,
    out_dir: str | Path,
    *,
    class_names: list[str] | None = None,
    n: int = 32,
    title: str = "",
) -> dict[str, Path]:
    """Write the report's files into ``out_dir``; returns their paths by name."""
    if n < 1:
        raise ConfigError(f"-n must be >= 1, got {n}")
    if len(image_set) != len(analysis.codes):
        raise ConfigError(
            f"the analysis covers {len(analysis.codes)} images but the image set has "
            f"{len(image_set)}; analyse the same set you report on"
        )
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = bias_summary(analysis, class_names, n)
    per_side = 8
    grids = {
        "rarest": make_grid(_images(image_set, analysis.rarest(n).tolist()), nrow=8),
        "most_common": make_grid(_images(image_set, analysis.most_common(n).tolist()), nrow=8),
        "regions": _regions_grid(image_set, summary["dimensions"][:10], per_side),
    }
    paths = {
        name: save_image(grid, out_dir / f"{name}.png", scale=GRID_SCALE)
        for name, grid in grids.items()
    }
    pngs = {name: path.read_bytes() for name, path in paths.items()}
    ratio = analysis.weight_ratio
    groups = {"population": ratio[analysis.population].numpy()}
    if analysis.labels is not None:
        population_labels = analysis.labels[analysis.population]
        groups = {
            _label_name(label, class_names): ratio[analysis.population][
                population_labels == label
            ].numpy()
            for label in torch.unique(population_labels).tolist()
        }
    pngs["weights"] = plot_weight_histogram(groups)
    pngs["latent_histograms"] = plot_latent_histograms(
        analysis.histogram.edges, analysis.histogram.fractions
    )
    for name in ("weights", "latent_histograms"):
        paths[name] = atomic_write_bytes(out_dir / f"{name}.png", pngs[name])
    paths["summary"] = atomic_write_json(out_dir / "summary.json", summary)
    paths["report"] = atomic_write_text(out_dir / "report.html", _html(summary, pngs, title))
    return paths


def _label_name(label: int, class_names: list[str] | None) -> str:
    if class_names and 0 <= label < len(class_names):
        return f"{label} {class_names[label]}"
    return str(label)
