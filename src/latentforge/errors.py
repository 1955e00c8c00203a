"""Errors that reach users. Each message names the problem and the fix.

The CLI turns any :class:`LatentforgeError` into a one-line message and exit status 2.
"""


class LatentforgeError(Exception):
    """A problem with the user's input (options, files, data, shapes) that the user can fix."""


class DataError(LatentforgeError):
    """A dataset could not be found, read or interpreted."""


class ConfigError(LatentforgeError):
    """An option or configuration value is invalid."""


class CheckpointError(LatentforgeError):
    """A checkpoint or run directory is missing, incomplete or has been tampered with."""


class ShapeError(LatentforgeError):
    """A tensor or network does not have the shape the caller promised."""


class TrainingInterrupted(LatentforgeError):
    """Ctrl-C or SIGTERM stopped training; the run ended as an epoch does and can be resumed.
    ``exit_status`` is what the command exits with (130 for Ctrl-C, 143 for SIGTERM)."""

    def __init__(self, message: str, exit_status: int = 130) -> None:
        super().__init__(message)
        self.exit_status = exit_status


class StoppedWithMainProcess(LatentforgeError):
    """Under torchrun, a step only the main process takes (checking and locking the run
    folder, writing the run's config) failed there; the other processes stop too, and only the
    main process says why (the message of this one is empty)."""


class TrainingDiverged(LatentforgeError):
    """The loss became NaN or infinite; training stopped and the last good checkpoint is kept."""


class StorageError(LatentforgeError):
    """A file could not be written (no space left, no permission, a read-only disk); whatever
    was saved before is left as it was."""


class RunLocked(LatentforgeError):
    """Another process is writing to the run directory."""


class OutOfMemory(LatentforgeError):
    """A model, or its training, would not fit in the memory available."""
