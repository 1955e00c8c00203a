import numpy as np
import torch

from latentforge.data import load_data
from latentforge.data.mnist_sets import FASHION_MNIST_CLASSES
from latentforge.data.sample import SAMPLE_RESOURCE, load_sample
from latentforge.data.sources import LoadRequest


def test_sample_is_the_packaged_file(tmp_path):
    import latentforge.data

    path = latentforge.data.__path__[0] + "/" + SAMPLE_RESOURCE
    with np.load(path, allow_pickle=False) as archive:
        x, y = archive["x"], archive["y"]
    source = load_sample(LoadRequest(data_dir=tmp_path))
    assert torch.equal(source.train.images[:, 0], torch.from_numpy(x))
    assert source.train.labels.tolist() == y.tolist()
    assert source.test is None


def test_default_is_the_sample_with_a_validation_split(tmp_path, monkeypatch):
    monkeypatch.setenv("LATENTFORGE_DATA", str(tmp_path / "unused"))
    bundle = load_data()
    assert bundle.name == "Fashion-MNIST sample"
    assert bundle.class_names == list(FASHION_MNIST_CLASSES) and bundle.num_classes == 10
    assert (len(bundle.train), len(bundle.val)) == (9000, 1000) and bundle.test is None
    assert bundle.channels == 1 and bundle.image_size == (28, 28)
    assert not (tmp_path / "unused").exists()
