"""Normalizer-free primitives (Brock et al. 2021), as in the official slowfast_nfnets `base.py`
(docs/paper-facts.md section 4c): scaled weight-standardised conv, gamma-scaled activations,
squeeze-excite, stochastic depth without rescaling, SkipInit gain.
"""

import keras
import tensorflow as tf
from keras import ops

from zoo.errors import ConfigError

# 1 / std(f(z)) for z ~ N(0, 1): keeps activations at unit scale. Copied verbatim from the
# official tables (identical in deepmind-research/nfnets, slowfast_nfnets, timm); section 6 of
# docs/paper-facts.md notes they sit 0.05-0.1 % off the analytic values: kept as shipped.
NONLINEARITY_GAMMA = {
    "identity": 1.0,
    "celu": 1.270926833152771,
    "elu": 1.2716004848480225,
    "gelu": 1.7015043497085571,
    "glu": 1.8484294414520264,
    "leaky_relu": 1.70590341091156,
    "log_sigmoid": 1.9193484783172607,
    "log_softmax": 1.0002083778381348,
    "relu": 1.7139588594436646,
    "relu6": 1.7131484746932983,
    "selu": 1.0008515119552612,
    "sigmoid": 4.803835391998291,
    "silu": 1.7881293296813965,
    "soft_sign": 2.338853120803833,
    "softplus": 1.9203323125839233,
    "tanh": 1.5939117670059204,
}
WS_EPSILON = 1e-4  # official WSConv2D: rsqrt(max(var * fan_in, 1e-4))


LEAKY_SLOPE = 0.01


def activation_fn(name, approximate_gelu=True):
    """The un-scaled nonlinearity `name`. GELU uses the tanh approximation by default, as
    `jax.nn.gelu` does in the official code (Keras' default is the exact erf form)."""
    functions = {
        "identity": lambda x: x, "celu": ops.celu, "elu": ops.elu, "glu": ops.glu,
        "gelu": lambda x: ops.gelu(x, approximate=approximate_gelu),
        # jax.nn.leaky_relu's slope (0.01), the one its gamma was computed for; Keras' default is 0.2.
        "leaky_relu": lambda x: ops.leaky_relu(x, negative_slope=LEAKY_SLOPE),
        "log_sigmoid": ops.log_sigmoid, "log_softmax": ops.log_softmax,
        "relu": ops.relu, "relu6": ops.relu6, "selu": ops.selu, "sigmoid": ops.sigmoid,
        "silu": ops.silu, "soft_sign": ops.softsign, "softplus": ops.softplus, "tanh": ops.tanh,
    }
    if name not in functions:
        raise ConfigError(f"unknown activation {name!r}; choose one of {sorted(functions)}")
    return functions[name]


@keras.saving.register_keras_serializable(package="zoo")
class GammaActivation(keras.layers.Layer):
    """`gamma[name] * f(x)`; `scaled=False` gives plain `f(x)` (used where the official code does)."""

    def __init__(self, activation="gelu", scaled=True, approximate_gelu=True, **kwargs):
        super().__init__(**kwargs)
        self.activation = activation
        self.scaled = bool(scaled)
        self.approximate_gelu = bool(approximate_gelu)
        self._fn = activation_fn(activation, approximate_gelu)
        self._gamma = NONLINEARITY_GAMMA[activation] if scaled else 1.0

    def call(self, x):
        y = self._fn(x)
        return y * self._gamma if self._gamma != 1.0 else y

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "activation": self.activation, "scaled": self.scaled,
                "approximate_gelu": self.approximate_gelu}


@keras.saving.register_keras_serializable(package="zoo")
class WSConv2D(keras.layers.Conv2D):
    """Conv2D with scaled weight standardisation and a learnable per-channel gain.

    Per output channel, over (kh, kw, in): `w_hat = (w - mean) * gain * rsqrt(max(var * fan_in, 1e-4))`,
    so at gain 1 each output channel's weights have zero mean and norm 1 (scale 1/sqrt(fan_in)).
    The bias is always on (zeros), the kernel starts from VarianceScaling(1, fan_in, normal).
    """

    def __init__(self, filters, kernel_size, **kwargs):
        kwargs.setdefault("padding", "same")
        kwargs.setdefault("kernel_initializer", keras.initializers.VarianceScaling(
            1.0, "fan_in", "untruncated_normal"))
        kwargs["use_bias"] = True
        super().__init__(filters, kernel_size, **kwargs)
        self._folded_kernel = None  # set by fold_for_serving()

    def build(self, input_shape):
        super().build(input_shape)
        self.gain = self.add_weight(name="gain", shape=(self.filters,), initializer="ones")

    def standardized_kernel(self):
        kernel = ops.cast(self.kernel, "float32")
        fan_in = kernel.shape[0] * kernel.shape[1] * kernel.shape[2]
        mean = ops.mean(kernel, axis=(0, 1, 2), keepdims=True)
        var = ops.var(kernel, axis=(0, 1, 2), keepdims=True)
        scale = ops.rsqrt(ops.maximum(var * fan_in, WS_EPSILON)) * ops.cast(self.gain, "float32")
        return kernel * scale - mean * scale

    def fold_for_serving(self):
        """Switch this layer to its serving form: the standardised kernel (gain included) becomes one
        kernel variable and each call runs a plain convolution, as batch norm is folded into a conv
        for inference. Saves about 3 ms a call on the tiny Slowfast NFNet (docs/export.md, "Where the
        time goes"). Returns `(replaced, added)` variable lists: `kernel` and `gain`, which calls no
        longer read, and the folded kernel. Used on a copy made for export, never on a model that
        trains on: training the folded kernel trains it without standardisation."""
        self._folded_kernel = tf.Variable(self.standardized_kernel(), trainable=self.trainable,
                                          name=self.kernel.path.replace("/", "_") + "_folded")
        return [self.kernel, self.gain], [self._folded_kernel]

    def convolution_op(self, inputs, kernel):
        del kernel
        folded = self._folded_kernel
        kernel = ops.cast(self.standardized_kernel() if folded is None else folded, inputs.dtype)
        if self.groups == 1:
            return super().convolution_op(inputs, kernel)
        # Grouped: one plain convolution per group, concatenated. Keras would run a grouped conv on
        # CPU as an XLA-compiled call, which compiles anew for every input length (and hides the
        # output shape from graph shape inference); these ops serve every length from one graph and
        # convert to LiteRT builtins. The groups here are few (1, 2 or 6 per NFNet stage).
        groups = [tf.nn.conv2d(x, k, strides=self.strides, padding=self.padding.upper(),
                               dilations=self.dilation_rate)
                  for x, k in zip(tf.split(inputs, self.groups, axis=-1), tf.split(kernel, self.groups, axis=-1))]
        return tf.concat(groups, axis=-1)

    # Keras' Conv saves only kernel and bias; the gain must travel too.
    def save_own_variables(self, store):
        if self.built:
            for i, variable in enumerate((self.kernel, self.bias, self.gain)):
                store[str(i)] = variable

    def load_own_variables(self, store):
        if len(store) != 3:
            raise ValueError(f"WSConv2D {self.name!r}: expected 3 saved variables (kernel, bias, gain), "
                             f"found {len(store)}")
        for i, variable in enumerate((self.kernel, self.bias, self.gain)):
            variable.assign(store[str(i)])

    def get_config(self):
        config = super().get_config()
        config.pop("use_bias", None)
        return config


@keras.saving.register_keras_serializable(package="zoo")
class SqueezeExcite(keras.layers.Layer):
    """`x * 2 * sigmoid(fc1(relu(fc0(mean_hw(x)))))` with hidden width `max(1, int(channels * ratio))`.

    ReLU inside is plain (not gamma-scaled) and the factor 2 rescales the sigmoid's mean of 0.5, as in
    the official NFBlock. Dense layers start like haiku's Linear: truncated normal, std 1/sqrt(fan_in).
    """

    def __init__(self, ratio=0.5, **kwargs):
        super().__init__(**kwargs)
        self.ratio = float(ratio)

    def build(self, input_shape):
        channels = input_shape[-1]
        init = keras.initializers.VarianceScaling(1.0, "fan_in", "truncated_normal")
        self.fc0 = keras.layers.Dense(max(1, int(channels * self.ratio)), kernel_initializer=init, name="fc0")
        self.fc1 = keras.layers.Dense(channels, kernel_initializer=init, name="fc1")
        self.fc0.build((None, channels))
        self.fc1.build((None, self.fc0.units))

    def call(self, x):
        h = ops.mean(x, axis=(1, 2))
        h = ops.sigmoid(self.fc1(ops.relu(self.fc0(h))))
        return x * (2.0 * h[:, None, None, :])

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "ratio": self.ratio}


@keras.saving.register_keras_serializable(package="zoo")
class StochasticDepth(keras.layers.Layer):
    """Training only: zero the whole residual branch of an example with probability `rate`.
    No rescaling by 1 / keep-probability (official `StochDepth(scale_by_keep=False)`)."""

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0.0 <= rate < 1.0:
            raise ConfigError(f"stochastic depth rate must be in [0, 1), got {rate}")
        self.rate = float(rate)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, x, training=False):
        if not training or self.rate == 0.0:
            return x
        batch = ops.shape(x)[0]
        r = keras.random.uniform((batch, 1, 1, 1), seed=self.seed_generator, dtype=x.dtype)
        return x * ops.floor(1.0 - self.rate + r)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


@keras.saving.register_keras_serializable(package="zoo")
class SkipInitGain(keras.layers.Layer):
    """A learnable scalar, initialised to 0, that multiplies the residual branch (SkipInit)."""

    def build(self, input_shape):
        self.skip_gain = self.add_weight(name="skip_gain", shape=(), initializer="zeros")

    def call(self, x):
        return x * ops.cast(self.skip_gain, x.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape
