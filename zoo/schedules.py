"""Learning-rate schedules.

The paper's schedule (docs/paper-facts.md sections 2 and 3): the learning rate rises linearly
from 0 to its peak over the warm-up steps (5k in the paper), then follows a cosine decay to 0 at
the last step.
"""

import math

import keras
from keras import ops

from zoo.errors import ConfigError


def warmup_cosine(step, peak, total_steps, warmup_steps):
    """The schedule as a function of tensors (or numbers): `WarmupCosine` and the probe's compiled loop."""
    step, peak = ops.cast(step, "float32"), ops.cast(peak, "float32")
    total_steps, warmup_steps = ops.cast(total_steps, "float32"), ops.cast(warmup_steps, "float32")
    warm = peak * step / ops.maximum(warmup_steps, 1.0)
    progress = ops.clip((step - warmup_steps) / ops.maximum(total_steps - warmup_steps, 1.0), 0.0, 1.0)
    cosine = 0.5 * peak * (1.0 + ops.cos(math.pi * progress))
    return ops.where(step < warmup_steps, warm, cosine)


@keras.saving.register_keras_serializable(package="zoo")
class WarmupCosine(keras.optimizers.schedules.LearningRateSchedule):
    """lr(step) = peak * step / warmup for step < warmup, then peak * (1 + cos(pi * progress)) / 2."""

    def __init__(self, peak_learning_rate, total_steps, warmup_steps):
        if total_steps < 1 or not 0 <= warmup_steps <= total_steps:
            raise ConfigError(f"need 0 <= warmup_steps <= total_steps and total_steps >= 1; got "
                             f"warmup_steps={warmup_steps}, total_steps={total_steps}")
        self.peak_learning_rate = float(peak_learning_rate)
        self.total_steps = int(total_steps)
        self.warmup_steps = int(warmup_steps)

    def __call__(self, step):
        return warmup_cosine(step, self.peak_learning_rate, self.total_steps, self.warmup_steps)

    def get_config(self):
        return {"peak_learning_rate": self.peak_learning_rate, "total_steps": self.total_steps,
                "warmup_steps": self.warmup_steps}
