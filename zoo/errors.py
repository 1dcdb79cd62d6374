"""Errors that name the offending input and what was expected."""


class ZooError(Exception):
    """Base class of the project's own errors."""


class AudioFileError(ZooError):
    """An audio file is missing, empty, corrupt or holds non-finite samples."""

    def __init__(self, path, problem):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"audio file {self.path!r}: {problem}")


class ManifestError(ZooError):
    """A CSV manifest is malformed: the message names the file, the line and what was expected."""

    def __init__(self, manifest, line, problem):
        self.manifest = str(manifest)
        self.line = line
        self.problem = problem
        where = f"{self.manifest}, line {line}" if line else self.manifest
        super().__init__(f"manifest {where}: {problem}")


class WaveformError(ZooError, ValueError):
    """A waveform array has the wrong rank, dtype, rate, length or holds NaN/Inf."""


class ConfigError(ZooError, ValueError):
    """A setting, option or argument given by the user is not valid; the message says what is expected."""


class NotFoundError(ZooError, FileNotFoundError):
    """A model, export folder, corpus or file the user named does not exist; the message says where
    the zoo looked and how to make it."""


class UnknownNameError(ZooError, KeyError):
    """A name (task, published encoder, adapter, mini-HARES task) is not known; the message lists the
    known ones."""

    def __str__(self):
        return str(self.args[0])


class UnknownOptionError(ZooError, TypeError):
    """An encoder was given an option its builder does not take."""


class ServingContractError(ZooError, ValueError):
    """A SavedModel does not keep the serving contract (export/README.md)."""


class UnknownEncoderError(UnknownNameError):
    """The registry has no encoder of that name."""
