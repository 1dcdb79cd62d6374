"""Seeded randomness shared by training and evaluation: stateless seeds derived from integers, and
stateless Beta draws, so that the same arguments give the same draws in any process (a resumed
pretraining run, a re-run probe).

The mixing law, Beta(5, 2), is the paper's example-mixing ratio (docs/paper-facts.md section 3); it
is used by pretraining's `zoo.pretrain.augment.ExampleMixing` and by the probe's mixed training
windows (`zoo.data.pipeline.mixed_dataset`).
"""

import tensorflow as tf

MIX_ALPHA, MIX_BETA = 5.0, 2.0      # the mixing ratio's law, Beta(5, 2) (docs/paper-facts.md section 3)


def fold_seed(seed, *salt):
    """A new stateless seed `[2]` from `seed` and integers (or scalar tensors) `salt`."""
    seed = tf.cast(seed, tf.int64)
    for s in salt:
        seed = tf.stack([seed[0] * 1_000_003 + tf.cast(s, tf.int64), seed[1] + 7919 * tf.cast(s, tf.int64)])
    return tf.cast(tf.math.floormod(seed, 2**31 - 1), tf.int32)


def stateless_beta(shape, alpha, beta, seed):
    """Beta(alpha, beta) samples (TF has no stateless Beta). For whole-number parameters (the
    mixing law's 5 and 2) the alpha-th smallest of alpha + beta - 1 uniforms, which XLA compiles
    (`hares-zoo pretrain --jit_compile`); otherwise g_a / (g_a + g_b), g ~ Gamma."""
    if float(alpha).is_integer() and float(beta).is_integer() and alpha + beta <= 64:
        n = int(alpha) + int(beta) - 1
        uniforms = tf.random.stateless_uniform([*shape, n], fold_seed(seed, 1))
        return tf.sort(uniforms, axis=-1)[..., int(alpha) - 1]
    a = tf.random.stateless_gamma(shape, fold_seed(seed, 1), alpha=alpha)
    b = tf.random.stateless_gamma(shape, fold_seed(seed, 2), alpha=beta)
    return a / (a + b)
