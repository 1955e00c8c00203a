"""A fixed-size store of images kept in the model's buffers, so checkpoints save its contents
and a resumed run continues with exactly the same store.

Two uses:

- the history of generated images of CycleGAN (Zhu et al. 2017,
  https://arxiv.org/abs/1703.10593, section 4, after Shrivastava et al. 2017,
  https://arxiv.org/abs/1612.07828): the discriminators see a mix of the newest fakes and
  older ones, which damps oscillation. :meth:`ImagePool.query`, for each new image: while the
  pool has room, store it and return it; once full, with probability 1/2 return a stored image
  chosen uniformly at random and put the new one in its place, otherwise return the new
  image. The draws come from the global torch RNG, which the engine seeds and saves in every
  checkpoint, so a resumed run draws the same numbers as an unbroken one.
- a bank of source images seen in training, from which a translation model's ``sample(n)``
  translates: :meth:`ImagePool.fill` keeps the first ``size`` images, :meth:`ImagePool.draw`
  picks from them with a caller's generator.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from latentforge.errors import ConfigError, ShapeError
from latentforge.utils.seeding import random_draw


class ImagePool(nn.Module):
    """Up to ``size`` images of shape ``image_shape``, in buffers ``images`` and ``count``."""

    images: Tensor
    count: Tensor

    def __init__(self, size: int, image_shape: tuple[int, int, int]) -> None:
        super().__init__()
        if size < 0:
            raise ConfigError(f"an image pool's size must be >= 0, got {size}")
        self.size = size
        self.image_shape = tuple(image_shape)
        self.register_buffer("images", torch.zeros(size, *image_shape))
        self.register_buffer("count", torch.zeros((), dtype=torch.int64))

    def __len__(self) -> int:
        return int(self.count)

    def _check(self, images: Tensor) -> None:
        if tuple(images.shape[1:]) != self.image_shape:
            raise ShapeError(
                f"the pool holds images of shape {self.image_shape}, got {tuple(images.shape)}"
            )

    @torch.no_grad()
    def query(self, images: Tensor) -> Tensor:
        """The images to show the discriminator in place of ``images`` ``(N, C, H, W)``
        (the history rule above); a pool of size 0 returns ``images`` unchanged."""
        self._check(images)
        if self.size == 0:
            return images
        n = images.shape[0]
        swap = random_draw("rand", (n,)) < 0.5  # (N,) on the CPU: one draw per image
        slots = (random_draw("rand", (n,)) * self.size).long().clamp_(max=self.size - 1)
        out = images.detach().clone()
        for i in range(n):
            stored = int(self.count)
            if stored < self.size:
                self.images[stored] = images[i]
                self.count += 1
            elif swap[i]:
                slot = int(slots[i])
                out[i] = self.images[slot]
                self.images[slot] = images[i]
        return out

    @torch.no_grad()
    def fill(self, images: Tensor) -> None:
        """Store images from ``images`` until the pool is full (then nothing changes)."""
        self._check(images)
        stored = int(self.count)
        taken = images[: self.size - stored].detach()
        self.images[stored : stored + len(taken)] = taken
        self.count += len(taken)

    def draw(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """``n`` stored images chosen uniformly with replacement (``generator`` if given)."""
        stored = int(self.count)
        if stored == 0:
            raise ConfigError("the image pool is empty; nothing to draw from")
        slots = (random_draw("rand", (n,), generator) * stored).long().clamp_(max=stored - 1)
        return self.images[slots.to(self.images.device)]
