"""Audio frontends as plain Keras layers (leaf-audio style): each maps a 16 kHz waveform batch to
features and round-trips through `get_config`."""

from zoo.frontends.log_mel import LogMelSpectrogram
from zoo.frontends.sinc_conv import SincConv1D
from zoo.frontends.standardize import PerExampleStandardization

__all__ = ["LogMelSpectrogram", "PerExampleStandardization", "SincConv1D"]
