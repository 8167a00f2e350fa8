"""The trainer's error types.

Every failure the trainer can diagnose is raised as one of these, with a message that names the
file, shard line or record at fault, so a bad export is fixed at its source instead of being
silently truncated or skipped. The CLIs print the message and exit with status 2.
"""


class TrainError(Exception):
    """Base class: a problem with the inputs or the run directory, explained in the message."""


class TokenizerTrainError(TrainError):
    """The tokenizer cannot be trained as asked (unreadable text, vocabulary not reachable)."""


class ModelDirError(TrainError):
    """A model directory is missing a file, or its files disagree with each other."""


class DataError(TrainError):
    """The training data breaks the gog-train-data contract."""


class TokenizerMismatchError(DataError):
    """The data's token ids were made with a different tokenizer than the model's."""


class CheckpointError(TrainError):
    """A checkpoint is missing, truncated or corrupt."""


class ResumeMismatchError(TrainError):
    """A run directory holds a run whose arguments differ from the ones given now."""
