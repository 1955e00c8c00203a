r"""When a progressive GAN grows: the stage and fade-in weight as a pure function of a clock.

The clock counts real images shown to the discriminator (or discriminator steps). With L the
length of one phase and S stages, the timeline is

=====================  =====================  ======================
clock                  stage                  alpha
=====================  =====================  ======================
[0, L)                 0 (base resolution)    1
[(2s - 1) L, 2s L)     s, fading in           (clock - (2s - 1) L) / L
[2s L, (2s + 1) L)     s, stabilising         1
>= 2 (S - 1) L         S - 1 (full size)      1, until training ends
=====================  =====================  ======================

so every stage but the first has a fade phase and a stabilise phase of L each (Karras et al.
2018, https://arxiv.org/abs/1710.10196, section 2: 800k images each in the paper), and the
schedule is complete after ``(2S - 1) L``. Nothing here is state: resuming at a clock value
gives exactly the stage and alpha an uninterrupted run had there.
"""

from __future__ import annotations

from dataclasses import dataclass

from latentforge.errors import ConfigError


@dataclass(frozen=True)
class Growth:
    """Where the growth stands: ``stage`` (0 = base resolution), its fade-in weight ``alpha``
    and the index of the fade / stabilise ``phase`` (0 is stage 0; 2s - 1 and 2s are stage s's
    fade and stabilise; it stops counting at the last stage's stabilise)."""

    stage: int
    alpha: float
    phase: int

    @property
    def fading(self) -> bool:
        return self.alpha < 1.0


@dataclass(frozen=True)
class GrowthSchedule:
    """Stages ``0 .. num_stages - 1``, each fade and each stabilise phase ``phase_length``
    clock units long (images or discriminator steps)."""

    num_stages: int
    phase_length: int

    def __post_init__(self) -> None:
        if self.num_stages < 1 or self.phase_length < 1:
            raise ConfigError(
                f"a growth schedule needs >= 1 stage and phases >= 1 long; got "
                f"{self.num_stages} stages of {self.phase_length}"
            )

    @property
    def length(self) -> int:
        """Clock units until the last stage has stabilised for one phase: ``(2S - 1) L``."""
        return (2 * self.num_stages - 1) * self.phase_length

    def at(self, clock: int) -> Growth:
        """The stage and alpha at ``clock`` (>= 0), from the table above."""
        if clock < 0:
            raise ConfigError(f"the growth clock cannot be negative, got {clock}")
        phase = min(clock // self.phase_length, 2 * (self.num_stages - 1))
        stage = (phase + 1) // 2
        if phase % 2 == 1:  # a fade phase
            return Growth(stage, (clock - phase * self.phase_length) / self.phase_length, phase)
        return Growth(stage, 1.0, phase)
