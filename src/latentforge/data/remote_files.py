"""Where the standard datasets are published, with their published checksums.

``REMOTE_FILES[name]`` lists the files of dataset ``name``; each file's mirrors are tried in
order. The MD5 digests are the ones the dataset authors publish (and torchvision checks).
"""

from __future__ import annotations

from latentforge.data.download import RemoteFile

_FASHION_MNIST_MIRRORS = (
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/",
)
_MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)
_CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"


def _mirrored(mirrors: tuple[str, ...], digests: dict[str, str]) -> tuple[RemoteFile, ...]:
    return tuple(
        RemoteFile(name, tuple(mirror + name for mirror in mirrors), md5=md5)
        for name, md5 in digests.items()
    )


REMOTE_FILES: dict[str, tuple[RemoteFile, ...]] = {
    "fashion-mnist": _mirrored(
        _FASHION_MNIST_MIRRORS,
        {
            "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
            "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
            "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
            "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
        },
    ),
    "mnist": _mirrored(
        _MNIST_MIRRORS,
        {
            "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
            "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
            "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
            "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
        },
    ),
    # The *binary* version (records of 1 label byte + 3072 pixel bytes), not the pickled one.
    "cifar10": (
        RemoteFile(
            "cifar-10-binary.tar.gz", (_CIFAR10_URL,), md5="c32a1d4ab5d03f1284b67883e8d87530"
        ),
    ),
}
