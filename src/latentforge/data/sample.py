"""The built-in sample: the 10,000 Fashion-MNIST test images, shipped inside the package.

It needs no download, so ``--data sample`` (the default) works offline on any machine.
"""

from __future__ import annotations

from importlib import resources

from latentforge.data.arrays import class_names_for
from latentforge.data.mnist_sets import FASHION_MNIST_CLASSES
from latentforge.data.npz import read_npz
from latentforge.data.sources import DATASETS, LoadRequest, Source

SAMPLE_RESOURCE = "assets/fashion_mnist_sample.npz"


@DATASETS.register("sample")
def load_sample(request: LoadRequest) -> Source:
    """The sample as one split (the validation split is then held out of it)."""
    reference = resources.files("latentforge.data").joinpath(SAMPLE_RESOURCE)
    with resources.as_file(reference) as path:
        source = read_npz(path, name="Fashion-MNIST sample")
    source.class_names = class_names_for(
        [source.train.labels], list(FASHION_MNIST_CLASSES), SAMPLE_RESOURCE
    )
    source.extra = {"source": "built-in sample: the 10,000 Fashion-MNIST test images"}
    return source
