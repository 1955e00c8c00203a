"""Writers for the file formats the data layer reads, built from the format specifications."""

from __future__ import annotations

import gzip
import hashlib
import io
import struct
import tarfile
from pathlib import Path

import numpy as np
from PIL import Image


def idx_bytes(array: np.ndarray) -> bytes:
    """IDX: 0x00 0x00, type 0x08 (unsigned byte), ndim; big-endian uint32 sizes; the bytes."""
    array = np.asarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.tobytes()


def write_idx(path: Path, array: np.ndarray, gz: bool = False) -> Path:
    data = idx_bytes(array)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def write_mnist_folder(folder: Path, rng: np.random.Generator, gz: bool = False, n=(12, 5)):
    """The four MNIST-style files with random 6x5 images; returns the arrays written."""
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n[0], 6, 5), dtype=np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, n[0], dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n[1], 6, 5), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, n[1], dtype=np.uint8),
    }
    for stem, array in arrays.items():
        write_idx(folder / (stem + (".gz" if gz else "")), array, gz=gz)
    return arrays


def cifar_records(images: np.ndarray, labels: np.ndarray) -> bytes:
    """CIFAR-10 binary: per image 1 label byte, then 1024 R, 1024 G, 1024 B bytes (row-major)."""
    out = bytearray()
    for image, label in zip(images, labels, strict=True):
        out.append(int(label))
        for channel in range(3):
            out.extend(image[channel].tobytes())
    return bytes(out)


def write_cifar_folder(folder: Path, rng: np.random.Generator, per_batch: int = 3):
    """data_batch_1..5.bin and test_batch.bin with random images; returns the arrays."""
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for name in [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]:
        images = rng.integers(0, 256, (per_batch, 3, 32, 32), dtype=np.uint8)
        labels = rng.integers(0, 10, per_batch, dtype=np.uint8)
        (folder / name).write_bytes(cifar_records(images, labels))
        written[name] = (images, labels)
    return written


def add_tar_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def md5_of(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def save_image(path: Path, pixels: np.ndarray, **options) -> Path:
    """Save ``(H, W)`` grey or ``(H, W, 3)`` RGB uint8 pixels in the format of ``path``'s suffix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path, **options)
    return path
