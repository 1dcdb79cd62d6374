"""Encoder families. Importing this package registers every family with `zoo.registry`."""

from zoo.encoders import baselines  # noqa: F401
from zoo.encoders import efficientnet  # noqa: F401
from zoo.encoders import sincnet  # noqa: F401
from zoo.encoders import vit  # noqa: F401
from zoo.encoders.nfnet import models as _nfnet  # noqa: F401
from zoo.encoders.base import AudioEncoder, LogMelEncoder

__all__ = ["AudioEncoder", "LogMelEncoder"]
