"""``orl-faces``: the ORL (AT&T "Olivetti") database of faces, 400 grey 112x92 photographs of
40 people, ten each (Samaria and Harter 1994, "Parameterisation of a stochastic model for human
face identification"; credit the Olivetti Research Laboratory, Cambridge).

Read from ``<data dir>/orl-faces.npz`` with arrays ``x`` ``(400, 112, 92)`` uint8 and
``subject`` ``(400,)`` integer ids 0..39. Whole people are held out: the test split is
subjects 35..39 (50 images), the training split subjects 0..34 (350 images, from which the
usual validation share is drawn), so a test face is always someone the model never saw.
Labels are the subject ids.

The database cannot be downloaded by latentforge. It is distributed as ``att_faces``: 40
folders ``s1`` .. ``s40`` of ten 92x112 PGM files; :func:`convert_att_faces` turns that folder
into the ``.npz`` (subject = folder number - 1).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import numpy as np
import torch

from latentforge.data.arrays import images_from_array, labels_from_array
from latentforge.data.base import TensorImageSet
from latentforge.data.image_files import decode_image
from latentforge.data.sources import DATASETS, LoadRequest, Source
from latentforge.data.transforms import ImageTransform
from latentforge.errors import DataError

FILE_NAME = "orl-faces.npz"
TEST_SUBJECTS = range(35, 40)
NUM_SUBJECTS = 40


def _missing(path: Path) -> DataError:
    return DataError(
        f"the ORL faces are not at {path}, and latentforge cannot download them. Get the "
        "AT&T (ORL, Olivetti Research Laboratory) database of faces - the att_faces archive "
        "of folders s1..s40 - and convert it with "
        '`python -c "from latentforge.data.orl_faces import convert_att_faces as c; '
        f"c('att_faces', '{path}')\"`, or save arrays x (400, 112, 92) uint8 and subject "
        f"(400,) as {path}; --data-dir (or $LATENTFORGE_DATA) names the folder"
    )


@DATASETS.register("orl-faces")
def load_orl_faces(request: LoadRequest) -> Source:
    """Train on subjects 0..34, test on subjects 35..39."""
    path = request.data_dir / FILE_NAME
    if not path.is_file():
        raise _missing(path)
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = {"x", "subject"} - set(archive.files)
            if missing:
                raise DataError(
                    f"{path} lacks array(s) {', '.join(sorted(missing))}; it needs x (N, H, W) "
                    "uint8 images and subject (N,) ids 0..39"
                )
            x, subject = archive["x"], archive["subject"]
    except (OSError, ValueError, zipfile.BadZipFile) as err:
        raise DataError(f"{path} is not a readable .npz archive ({err})") from None
    images = images_from_array(x, str(path), "x")
    subjects = labels_from_array(subject, len(images), str(path), "subject")
    if int(subjects.max()) >= NUM_SUBJECTS:
        raise DataError(
            f"{path}: subject ids must be 0..{NUM_SUBJECTS - 1}, found {int(subjects.max())}"
        )
    test = (subjects >= TEST_SUBJECTS.start) & (subjects < TEST_SUBJECTS.stop)
    if bool(test.all()) or not bool(test.any()):
        raise DataError(
            f"{path}: need images of subjects 0..34 (train) and 35..39 (test), found ids "
            f"{sorted(set(subjects.tolist()))}"
        )
    train_set = TensorImageSet(images[~test], subjects[~test])
    test_set = TensorImageSet(images[test], subjects[test])
    names = [f"s{k + 1}" for k in range(NUM_SUBJECTS)]  # the att_faces folder names
    return Source("ORL faces", train_set, test_set, names, {"source": str(path)})


def convert_att_faces(folder: str | Path, out: str | Path) -> Path:
    """Write the ``.npz`` from an ``att_faces`` folder (``s1/1.pgm`` .. ``s40/10.pgm``)."""
    folder, out = Path(folder), Path(out)
    grey = ImageTransform.from_options(None, 1)
    images, subjects = [], []
    for sub in sorted(folder.glob("s*"), key=lambda p: int(re.sub(r"\D", "", p.name) or 0)):
        if not sub.is_dir() or not re.fullmatch(r"s\d+", sub.name):
            continue
        files = sorted(sub.glob("*.pgm"), key=lambda p: int(re.sub(r"\D", "", p.stem) or 0))
        for file in files:
            images.append(decode_image(file, grey)[0])  # (1, H, W) -> (H, W)
            subjects.append(int(sub.name[1:]) - 1)
    if not images:
        raise DataError(f"no s<N>/*.pgm images under {folder}; is it the att_faces folder?")
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(out, x=torch.stack(images).numpy(), subject=np.array(subjects, dtype=np.uint8))
    return out
