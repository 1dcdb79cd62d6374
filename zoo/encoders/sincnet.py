"""A SincNet-style waveform encoder (Ravanelli & Bengio, SLT 2018).

SincNet's convolutional front, then a per-frame projection:

    SincConv1D(80 filters, 251 taps) -> |.| -> max-pool 3 -> LayerNorm -> LeakyReLU(0.2)
    Conv1D(60, 5)                    -> max-pool 3 -> LayerNorm -> LeakyReLU(0.2)
    Conv1D(60, 5)                    -> max-pool 3 -> LayerNorm -> LeakyReLU(0.2)
    average-pool 6 (27 * 6 = 162 samples, a 10.125 ms hop) -> Dense(embedding_size) -> LeakyReLU

The first three stages are SincNet's CNN as published (filter counts, lengths, pools, layer norm,
leaky ReLU with slope 0.2); the average pool and the dense projection replace SincNet's MLP over
flattened 200-ms chunks so that the encoder yields time-resolved frame embeddings of any length.
"""

import keras

from zoo import audio_constants as ac
from zoo.encoders.base import AudioEncoder
from zoo.frontends import SincConv1D
from zoo.encoder_specs import register_encoder

LEAKY_SLOPE = 0.2  # SincNet's leaky ReLU
POOL = 3           # SincNet's max-pool after each conv
FRAME_POOL = 6     # ours: 27 * 6 = 162 samples between frames


@keras.saving.register_keras_serializable(package="zoo")
class SincNetEncoder(AudioEncoder):
    """Waveform `[batch, samples]` -> frames `[batch, ceil(samples / 162), embedding_size]`."""

    def __init__(self, sinc_filters=80, sinc_kernel_size=251, conv_filters=(60, 60), conv_kernel_size=5,
                 embedding_size=256, **kwargs):
        super().__init__(**kwargs)
        self.sinc_filters, self.sinc_kernel_size = int(sinc_filters), int(sinc_kernel_size)
        self.conv_filters, self.conv_kernel_size = tuple(int(c) for c in conv_filters), int(conv_kernel_size)
        self.embedding_size = int(embedding_size)
        self.frame_hop_seconds = POOL ** (1 + len(self.conv_filters)) * FRAME_POOL / ac.SAMPLE_RATE
        self.sinc = SincConv1D(self.sinc_filters, self.sinc_kernel_size, name="sinc")
        self.convs = [keras.layers.Conv1D(c, self.conv_kernel_size, padding="same", name=f"conv{i}")
                      for i, c in enumerate(self.conv_filters)]
        self.norms = [keras.layers.LayerNormalization(name=f"norm{i}") for i in range(1 + len(self.conv_filters))]
        self.pools = [keras.layers.MaxPooling1D(POOL, padding="same") for _ in self.norms]
        self.act = keras.layers.LeakyReLU(LEAKY_SLOPE)
        self.frame_pool = keras.layers.AveragePooling1D(FRAME_POOL, padding="same")
        self.projection = keras.layers.Dense(self.embedding_size, name="projection")

    def frame_features(self, waveform, training=False):
        x = keras.ops.abs(self.sinc(waveform))
        for i, norm in enumerate(self.norms):
            if i > 0:
                x = self.convs[i - 1](x)
            x = self.act(norm(self.pools[i](x)))
        return self.act(self.projection(self.frame_pool(x)))

    def get_config(self):
        return {**super().get_config(), "sinc_filters": self.sinc_filters,
                "sinc_kernel_size": self.sinc_kernel_size, "conv_filters": list(self.conv_filters),
                "conv_kernel_size": self.conv_kernel_size, "embedding_size": self.embedding_size}


@register_encoder(
    "sincnet", family="sincnet", input_kind="waveform", embedding_size=256,
    frame_hop_seconds=162 / ac.SAMPLE_RATE, num_params=58_296,
    description="SincNet's CNN (80 sinc filters of 251 taps, two 60x5 convs) + per-frame 256-d projection.",
    defaults=dict(sinc_filters=80, sinc_kernel_size=251, conv_filters=(60, 60), conv_kernel_size=5,
                  embedding_size=256))
def sincnet(**config):
    return SincNetEncoder(name="sincnet", **config)
