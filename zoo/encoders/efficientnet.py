"""EfficientNet (Tan & Le, ICML 2019) on a 1-channel log-mel image `[batch, time, mel, 1]`.

The B0 table, the filter/repeat rounding and the MBConv block (expand 1x1 -> depthwise kxk ->
squeeze-excite with ratio 0.25 of the block's input width -> project 1x1, batch norm after each
conv, swish, drop-connect 0.2 linear in block index) are those of the published model as in
`keras.applications.EfficientNetB0`. What differs, on purpose (docs/paper-facts.md section 4a:
"EfficientNet-B0, 4.0m, Spectrogram"):
  * the stem sees one channel (the standardised log-mel), not RGB;
  * there are no ImageNet `Rescaling`/`Normalization` layers inside: the frontend standardises;
  * no classifier top: the embedding is the 1280-d final features averaged over time and mel.

Frames: the final features `[batch, ceil(T/32), ceil(mel/32), 1280]` averaged over mel, a
320 ms hop (the network strides by 32 in both axes).
"""

import math

import keras
from keras import ops

from zoo import audio_constants as ac
from zoo.encoders.base import LogMelEncoder
from zoo.encoder_specs import register_encoder


def swish(x):
    """`x * sigmoid(x)`, written out: `ops.silu` lowers to `tf.nn.silu`, whose custom gradient
    captures a constant that SavedModel export cannot store."""
    return x * ops.sigmoid(x)

# (kernel, repeats, filters_in, filters_out, expand_ratio, stride) of EfficientNet-B0 (Table 1).
B0_BLOCKS = ((3, 1, 32, 16, 1, 1), (3, 2, 16, 24, 6, 2), (5, 2, 24, 40, 6, 2), (3, 3, 40, 80, 6, 2),
             (5, 3, 80, 112, 6, 1), (5, 4, 112, 192, 6, 2), (3, 1, 192, 320, 6, 1))
STEM_FILTERS, TOP_FILTERS = 32, 1280
SE_RATIO = 0.25
DIVISOR = 8
BN_EPSILON = 1e-3            # TF EfficientNet / keras.applications


def conv_initializer():
    """keras.applications / TF EfficientNet's conv init: N(0, 2 / fan_out), truncated. For a
    depthwise kernel fan_out is kh * kw, so He-with-fan_in (kh * kw * channels) would shrink every
    block's output and leave a random-init network emitting ~1e-10 embeddings in inference mode."""
    return keras.initializers.VarianceScaling(2.0, "fan_out", "truncated_normal")
DROP_CONNECT_RATE = 0.2      # B0's drop-connect, linear in block index


def round_filters(filters, width_coefficient):
    """Scale `filters` by the width coefficient, rounded to a multiple of 8 (never down by > 10 %)."""
    filters *= width_coefficient
    rounded = max(DIVISOR, int(filters + DIVISOR / 2) // DIVISOR * DIVISOR)
    return int(rounded + DIVISOR) if rounded < 0.9 * filters else int(rounded)


def round_repeats(repeats, depth_coefficient):
    return int(math.ceil(depth_coefficient * repeats))


@keras.saving.register_keras_serializable(package="zoo")
class MBConv(keras.layers.Layer):
    """Inverted residual block `[batch, h, w, filters_in]` -> `[batch, h/stride, w/stride, filters_out]`."""

    def __init__(self, filters_in, filters_out, kernel_size, stride, expand_ratio, drop_rate, **kwargs):
        super().__init__(**kwargs)
        self.filters_in, self.filters_out = filters_in, filters_out
        self.kernel_size, self.stride = kernel_size, stride
        self.expand_ratio, self.drop_rate = expand_ratio, drop_rate
        hidden = filters_in * expand_ratio
        conv = dict(use_bias=False, padding="same", kernel_initializer=conv_initializer())
        self.expand = keras.layers.Conv2D(hidden, 1, name="expand", **conv) if expand_ratio != 1 else None
        self.expand_bn = keras.layers.BatchNormalization(epsilon=BN_EPSILON, name="expand_bn") if self.expand else None
        self.depthwise = keras.layers.DepthwiseConv2D(kernel_size, stride, use_bias=False, padding="same",
                                                      depthwise_initializer=conv_initializer(), name="depthwise")
        self.depthwise_bn = keras.layers.BatchNormalization(epsilon=BN_EPSILON, name="depthwise_bn")
        squeezed = max(1, int(filters_in * SE_RATIO))
        self.se_reduce = keras.layers.Conv2D(squeezed, 1, name="se_reduce")
        self.se_expand = keras.layers.Conv2D(hidden, 1, activation="sigmoid", name="se_expand")
        self.project = keras.layers.Conv2D(filters_out, 1, name="project", **conv)
        self.project_bn = keras.layers.BatchNormalization(epsilon=BN_EPSILON, name="project_bn")
        self.residual = stride == 1 and filters_in == filters_out
        self.drop = (keras.layers.Dropout(drop_rate, noise_shape=(None, 1, 1, 1), name="drop")
                     if self.residual and drop_rate > 0 else None)

    def call(self, inputs, training=False):
        x = inputs
        if self.expand is not None:
            x = swish(self.expand_bn(self.expand(x), training=training))
        x = swish(self.depthwise_bn(self.depthwise(x), training=training))
        x = x * self.se_expand(swish(self.se_reduce(ops.mean(x, axis=(1, 2), keepdims=True))))
        x = self.project_bn(self.project(x), training=training)
        if not self.residual:
            return x
        if self.drop is not None:
            x = self.drop(x, training=training)
        return x + inputs

    def get_config(self):
        return {**super().get_config(), "filters_in": self.filters_in, "filters_out": self.filters_out,
                "kernel_size": self.kernel_size, "stride": self.stride, "expand_ratio": self.expand_ratio,
                "drop_rate": self.drop_rate}


@keras.saving.register_keras_serializable(package="zoo")
class EfficientNetEncoder(LogMelEncoder):
    """Waveform -> log-mel -> EfficientNet -> frames `[batch, ceil(frames / 32), top_filters]`."""

    def __init__(self, width_coefficient=1.0, depth_coefficient=1.0, drop_connect_rate=DROP_CONNECT_RATE,
                 n_mels=ac.N_MELS, **kwargs):
        super().__init__(n_mels=n_mels, **kwargs)
        self.width_coefficient, self.depth_coefficient = float(width_coefficient), float(depth_coefficient)
        self.drop_connect_rate = float(drop_connect_rate)
        stem = round_filters(STEM_FILTERS, self.width_coefficient)
        self.stem = keras.layers.Conv2D(stem, 3, 2, padding="same", use_bias=False,
                                        kernel_initializer=conv_initializer(), name="stem")
        self.stem_bn = keras.layers.BatchNormalization(epsilon=BN_EPSILON, name="stem_bn")
        plan = []
        for kernel, repeats, f_in, f_out, expand, stride in B0_BLOCKS:
            f_in, f_out = round_filters(f_in, self.width_coefficient), round_filters(f_out, self.width_coefficient)
            for r in range(round_repeats(repeats, self.depth_coefficient)):
                plan.append((f_in if r == 0 else f_out, f_out, kernel, stride if r == 0 else 1, expand))
        self.blocks = [MBConv(*args, drop_rate=self.drop_connect_rate * i / len(plan), name=f"block{i}")
                       for i, args in enumerate(plan)]
        self.embedding_size = round_filters(TOP_FILTERS, self.width_coefficient)
        self.top = keras.layers.Conv2D(self.embedding_size, 1, padding="same", use_bias=False,
                                       kernel_initializer=conv_initializer(), name="top")
        self.top_bn = keras.layers.BatchNormalization(epsilon=BN_EPSILON, name="top_bn")
        self.frame_hop_seconds = ac.HOP_SECONDS * 32

    def encode_spectrogram(self, spectrogram, training=False):
        x = swish(self.stem_bn(self.stem(ops.expand_dims(spectrogram, -1)), training=training))
        for block in self.blocks:
            x = block(x, training=training)
        x = swish(self.top_bn(self.top(x), training=training))
        return ops.mean(x, axis=2)                       # [batch, time / 32, embedding_size]

    def get_config(self):
        return {**super().get_config(), "width_coefficient": self.width_coefficient,
                "depth_coefficient": self.depth_coefficient, "drop_connect_rate": self.drop_connect_rate}


def _register(name, width, depth, embedding_size, num_params, description, paper_params=None):
    register_encoder(
        name, family="efficientnet", input_kind="log-mel", embedding_size=embedding_size,
        frame_hop_seconds=0.32, num_params=num_params, paper_params=paper_params, description=description,
        defaults=dict(width_coefficient=width, depth_coefficient=depth, drop_connect_rate=DROP_CONNECT_RATE,
                      n_mels=ac.N_MELS),
    )(lambda **config: EfficientNetEncoder(name=name, **config))


_register("efficientnet_b0", 1.0, 1.0, 1280, 4_048_988, paper_params="4.0m",
          description="EfficientNet-B0 on 1-channel log-mel, no ImageNet preprocessing, 1280-d.")
_register("efficientnet_tiny", 0.25, 0.25, 320, 127_836,
          description="EfficientNet at CPU scale: width x0.25, depth x0.25 (one block per stage).")
