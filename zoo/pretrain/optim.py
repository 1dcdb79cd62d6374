"""Optimisation: Adam(W) or LARS under the paper's warm-up + cosine schedule, and adaptive gradient
clipping (unit-wise, Brock et al. 2021, "High-Performance Large-Scale Image Recognition Without
Normalization", section 4.1).

The paper trains with Adam, a linear warm-up (5k steps) and a cosine decay to 0 (docs/paper-facts.md
section 3); it uses no AGC (appendix B). LARS and AGC are options for large-batch runs.
"""

import keras
import tensorflow as tf
from keras import ops

from zoo.schedules import WarmupCosine
from zoo.errors import ConfigError

AGC_EPSILON = 1e-3   # NFNets: the floor on a unit's weight norm


@keras.saving.register_keras_serializable(package="zoo")
class LARS(keras.optimizers.Optimizer):
    """SGD with momentum and layer-wise trust ratios (You et al. 2017), as SimCLR uses it:

        g' = g + wd * w;  trust = eta * |w| / |g'| (1 when either norm is 0);  m = momentum * m + lr * trust * g';
        w -= m
    Weights of rank <= 1 (biases, norms, gains) get neither weight decay nor the trust ratio."""

    def __init__(self, learning_rate=0.1, momentum=0.9, weight_decay=1e-6, eta=1e-3, name="lars", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.momentum, self.lars_weight_decay, self.eta = float(momentum), float(weight_decay), float(eta)

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._momenta = [self.add_variable_from_reference(v, "momentum") for v in var_list]

    def update_step(self, gradient, variable, learning_rate):
        lr = ops.cast(learning_rate, variable.dtype)
        gradient = ops.cast(gradient, variable.dtype)
        momentum = self._momenta[self._get_variable_index(variable)]
        if len(variable.shape) > 1:
            gradient = gradient + self.lars_weight_decay * variable
            w_norm, g_norm = ops.norm(ops.reshape(variable, [-1])), ops.norm(ops.reshape(gradient, [-1]))
            trust = ops.where((w_norm > 0) & (g_norm > 0), self.eta * w_norm / (g_norm + 1e-12), 1.0)
            gradient = gradient * trust
        self.assign(momentum, self.momentum * momentum + lr * gradient)
        self.assign_sub(variable, momentum)

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "weight_decay": self.lars_weight_decay,
                "eta": self.eta}


def build_optimizer(name="adam", learning_rate=1e-4, total_steps=100_000, warmup_steps=5_000,
                    weight_decay=0.0):
    """`adam` (AdamW when weight_decay > 0) or `lars`, under `WarmupCosine(learning_rate, ...)`."""
    schedule = WarmupCosine(learning_rate, total_steps, min(warmup_steps, total_steps))
    if name == "adam":
        if weight_decay > 0:
            return keras.optimizers.AdamW(schedule, weight_decay=weight_decay)
        return keras.optimizers.Adam(schedule)
    if name == "lars":
        return LARS(schedule, weight_decay=weight_decay)
    raise ConfigError(f"unknown optimizer {name!r}; choose 'adam' or 'lars'")


def unitwise_norm(x):
    """Frobenius norm per output unit: over all axes but the last for kernels (conv HWIO, dense
    [in, out]); the whole tensor for vectors and scalars. Shaped to broadcast against `x`."""
    if len(x.shape) <= 1:
        return tf.norm(x)
    return tf.sqrt(tf.reduce_sum(tf.square(x), axis=list(range(len(x.shape) - 1)), keepdims=True))


def adaptive_gradient_clip(gradients, weights, clipping=0.01, skip=()):
    """AGC: g <- g * min(1, clipping * max(|w|, 1e-3) / |g|) per unit. Weights whose path contains
    any string of `skip` are left alone (NFNets exclude the final classifier)."""
    clipped = []
    for g, w in zip(gradients, weights):
        if g is None or any(s in w.path for s in skip):
            clipped.append(g)
            continue
        w_value = tf.cast(tf.convert_to_tensor(w), g.dtype)
        max_norm = clipping * tf.maximum(unitwise_norm(w_value), AGC_EPSILON)
        g_norm = unitwise_norm(g)
        clipped.append(tf.where(g_norm > max_norm, g * (max_norm / tf.maximum(g_norm, 1e-6)), g))
    return clipped
