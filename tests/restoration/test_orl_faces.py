"""The orl-faces dataset: subjects 35..39 held out, clear errors, the att_faces converter."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from latentforge.data import load_data
from latentforge.data.orl_faces import convert_att_faces
from latentforge.errors import DataError


def fake_faces(folder: Path, per_subject: int = 2, size=(12, 10)) -> np.ndarray:
    """40 subjects x ``per_subject`` images whose pixels all equal the subject id * 5."""
    subject = np.repeat(np.arange(40, dtype=np.uint8), per_subject)
    x = np.broadcast_to(subject[:, None, None] * 5, (len(subject), *size)).astype(np.uint8)
    np.savez(folder / "orl-faces.npz", x=x, subject=subject)
    return subject


def test_whole_subjects_35_to_39_are_the_test_split(tmp_path) -> None:
    fake_faces(tmp_path, per_subject=3)
    data = load_data("orl-faces", data_dir=tmp_path, val_fraction=0.1, seed=0)
    assert data.image_size == (12, 10) and data.channels == 1
    assert sorted(data.test.labels.unique().tolist()) == [35, 36, 37, 38, 39]
    assert len(data.test) == 15
    seen = set(data.train.labels.tolist()) | set(data.val.labels.tolist())
    assert seen == set(range(35))
    assert len(data.train) + len(data.val) == 105 and len(data.val) == round(0.1 * 105)
    # labels are the subject ids: the pixels were made from them
    assert (data.test.images[:, 0, 0, 0].long() == data.test.labels * 5).all()
    assert data.class_names[0] == "s1" and len(data.class_names) == 40


def test_a_missing_file_names_the_path_and_where_to_get_the_faces(tmp_path) -> None:
    with pytest.raises(DataError) as err:
        load_data("orl-faces", data_dir=tmp_path)
    message = str(err.value)
    assert str(tmp_path / "orl-faces.npz") in message
    assert "AT&T" in message and "cannot download" in message


def test_arrays_are_checked(tmp_path) -> None:
    np.savez(tmp_path / "orl-faces.npz", x=np.zeros((4, 5, 5), np.uint8))
    with pytest.raises(DataError, match="lacks array"):
        load_data("orl-faces", data_dir=tmp_path)
    np.savez(tmp_path / "orl-faces.npz", x=np.zeros((4, 5, 5), np.uint8), subject=np.arange(4))
    with pytest.raises(DataError, match="35..39"):
        load_data("orl-faces", data_dir=tmp_path)
    (tmp_path / "orl-faces.npz").write_bytes(b"not a zip")
    with pytest.raises(DataError, match="not a readable"):
        load_data("orl-faces", data_dir=tmp_path)


def test_convert_att_faces_reads_the_pgm_folders(tmp_path) -> None:
    for person in (1, 2, 40):
        folder = tmp_path / "att_faces" / f"s{person}"
        folder.mkdir(parents=True)
        for shot in (1, 2, 10):
            pixels = np.full((6, 4), person + shot, dtype=np.uint8)
            Image.fromarray(pixels).save(folder / f"{shot}.pgm")
    out = convert_att_faces(tmp_path / "att_faces", tmp_path / "data" / "orl-faces.npz")
    with np.load(out, allow_pickle=False) as archive:
        assert archive["x"].shape == (9, 6, 4)
        assert archive["subject"].tolist() == [0, 0, 0, 1, 1, 1, 39, 39, 39]
        assert archive["x"][:3, 0, 0].tolist() == [2, 3, 11]  # shots in numeric order 1, 2, 10
    with pytest.raises(DataError, match="att_faces"):
        convert_att_faces(tmp_path / "data", tmp_path / "x.npz")


def test_the_real_file_gives_350_train_and_50_test_faces(real_dataset) -> None:
    path = real_dataset("orl-faces.npz")
    data = load_data("orl-faces", data_dir=path.parent, val_fraction=0.0, download=False)
    assert (len(data.train), len(data.test), data.image_size) == (350, 50, (112, 92))
