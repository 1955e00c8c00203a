import json

import torch
from PIL import Image

from latentforge.steps.hooks import HealthWarning
from latentforge.training.logger import RunLogger
from latentforge.viz.grid import interleave_rows, make_grid, save_grid
from latentforge.viz.report import write_report


def test_grid_places_each_image_in_its_cell():
    images = torch.stack([torch.full((1, 2, 3), v) for v in (0.1, 0.2, 0.3, 0.4, 0.5)])
    grid = make_grid(images, nrow=2, padding=1, pad_value=1.0)
    assert grid.shape == (1, 3 * 3 + 1, 2 * 4 + 1)  # 3 rows of (2 + 1), 2 columns of (3 + 1)
    assert torch.all(grid[:, 1:3, 1:4] == 0.1) and torch.all(grid[:, 1:3, 5:8] == 0.2)
    assert torch.all(grid[:, 7:9, 1:4] == 0.5)
    assert torch.all(grid[:, 7:9, 5:8] == 1.0)  # the empty sixth cell is padding
    assert torch.all(grid[:, 0, :] == 1.0)


def test_interleave_puts_each_row_of_originals_above_its_reconstructions():
    top = torch.arange(8).float().view(8, 1, 1, 1)
    bottom = top + 100
    out = interleave_rows(top, bottom, per_row=4).flatten().tolist()
    assert out == [0, 1, 2, 3, 100, 101, 102, 103, 4, 5, 6, 7, 104, 105, 106, 107]


def test_saved_grid_is_a_png_with_the_pixel_values(tmp_path):
    images = torch.zeros(4, 3, 2, 2)
    images[0, 0] = 1.0  # a red first image
    save_grid(images, tmp_path / "g.png", nrow=2)
    picture = Image.open(tmp_path / "g.png")
    assert picture.mode == "RGB" and picture.size == (10, 10)  # 2 * (2 + 2) + 2
    assert picture.getpixel((2, 2)) == (255, 0, 0) and picture.getpixel((6, 2)) == (0, 0, 0)


def test_report_embeds_curves_grids_and_warnings(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "vae", "train": {"lr": 0.001}}))
    logger = RunLogger(tmp_path, tensorboard=False)
    for step in (1, 2, 3):
        logger.log({"step": step, "epoch": 1, "train/vae/loss": 10.0 / step})
    logger.log({"step": 3, "epoch": 1, "val/loss": 2.5})
    logger.warn(HealthWarning("mode-collapse", "samples <look> alike; try <x>", step=3))
    save_grid(torch.rand(4, 1, 5, 5), tmp_path / "images" / "samples" / "epoch-0001.png")
    page = write_report(tmp_path).read_text()
    assert page.count("data:image/png;base64,") == 3  # train curve, val curve, one grid
    assert "mode-collapse" in page and "samples &lt;look&gt; alike" in page
    assert "2.5" in page and 'src="http' not in page
