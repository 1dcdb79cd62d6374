"""Pretraining augmentations: shape, range and randomness (seeded, stateless)."""

import numpy as np
import pytest
import tensorflow as tf

from zoo.data.seeded import stateless_beta
from zoo.pretrain.augment import ExampleMixing, RandomGain, ResizeCropFader, SpecAugment

SEED_A, SEED_B = tf.constant([1, 2]), tf.constant([3, 4])


def test_beta_sampler_has_the_papers_mean():
    lam = stateless_beta([20000], 5.0, 2.0, SEED_A).numpy()
    assert 0 < lam.min() and lam.max() < 1
    assert abs(lam.mean() - 5 / 7) < 0.01           # Beta(5, 2) mean 0.714
    assert abs(lam.var() - 10 / (49 * 8)) < 0.003    # variance ab / ((a+b)^2 (a+b+1))
    compiled = tf.function(lambda seed: stateless_beta([20000], 5.0, 2.0, seed), jit_compile=True)
    under_xla = compiled(SEED_A).numpy()             # compiles (`pretrain --jit_compile`); XLA's own
    assert abs(under_xla.mean() - 5 / 7) < 0.01      # random-number algorithm: same law, other draws
    assert abs(under_xla.var() - 10 / (49 * 8)) < 0.003
    np.testing.assert_array_equal(compiled(SEED_A).numpy(), under_xla)
    odd = stateless_beta([20000], 2.5, 1.5, SEED_A).numpy()                # not whole numbers: Gamma ratio
    assert abs(odd.mean() - 2.5 / 4) < 0.01


def test_example_mixing_is_a_convex_mix_dominated_by_the_clip_itself():
    rows = np.arange(1, 65, dtype=np.float32)[:, None] * np.ones((64, 100), np.float32) / 64
    mixed = ExampleMixing()(rows, SEED_A).numpy()
    assert mixed.shape == rows.shape
    assert np.allclose(mixed, mixed[:, :1])          # one ratio per example
    own = rows[:, 0]
    lam_times_diff = mixed[:, 0] - own               # = (1 - lam) (partner - own)
    assert np.all(mixed[:, 0] >= rows.min() - 1e-6) and np.all(mixed[:, 0] <= rows.max() + 1e-6)
    assert np.mean(np.abs(lam_times_diff)) < np.mean(np.abs(own[:, None] - own[None]))  # stays near itself
    again = ExampleMixing()(rows, SEED_A).numpy()
    other = ExampleMixing()(rows, SEED_B).numpy()
    np.testing.assert_array_equal(mixed, again)      # same seed, same draw (resumable)
    assert not np.allclose(mixed, other)
    with pytest.raises(ValueError, match="Beta parameters"):
        ExampleMixing(alpha=0.0)


def test_random_gain_stays_in_range_and_within_its_db_bounds():
    x = np.random.default_rng(0).uniform(-0.1, 0.1, (32, 400)).astype(np.float32)
    y = RandomGain(6.0)(x, SEED_A).numpy()
    ratio = np.abs(y).max(1) / np.abs(x).max(1)
    assert np.all(ratio >= 10 ** (-6 / 20) - 1e-5) and np.all(ratio <= 10 ** (6 / 20) + 1e-5)
    assert ratio.std() > 0.1                          # per-example gains differ
    loud = RandomGain(20.0)(np.full((4, 10), 0.9, np.float32), SEED_B).numpy()
    assert loud.max() <= 1.0 and loud.min() >= -1.0


def test_spec_augment_masks_bounded_spans():
    x = np.ones((8, 100, 80), np.float32)
    y = SpecAugment(time_masks=1, time_mask_frames=20, freq_masks=1, freq_mask_bins=10)(x, SEED_A).numpy()
    assert y.shape == x.shape and set(np.unique(y)) <= {0.0, 1.0}
    for example in y:
        dead_frames = np.all(example == 0, axis=1).sum()
        dead_bins = np.all(example == 0, axis=0).sum()
        assert dead_frames <= 20 and dead_bins <= 10
    assert (y == 0).mean() > 0.02
    assert not np.array_equal(y, SpecAugment(1, 20, 1, 10)(x, SEED_B).numpy())


def test_linear_fader_adds_a_ramp_along_time_within_its_gain():
    x = tf.constant(np.random.default_rng(0).standard_normal((3, 50, 8)).astype(np.float32))
    fader_only = ResizeCropFader(canvas_time=1.0, scale=(1.0, 1.0), fader_gain=1.0)   # the crop is the whole
    added = (fader_only(x, tf.constant([1, 2])) - x).numpy()
    np.testing.assert_allclose(added, added[:, :, :1].repeat(8, axis=2), atol=1e-5)  # same for every band
    ramp = added[:, :, 0]
    np.testing.assert_allclose(np.diff(ramp, 2, axis=1), 0, atol=1e-5)                # linear in time
    assert np.all(np.abs(ramp[:, [0, -1]]) <= 1.0) and np.ptp(ramp[:, [0, -1]]) > 0.1


def test_resize_crop_zooms_within_the_canvas_and_repeats_with_its_seed():
    bands = np.linspace(0, 1, 16, dtype=np.float32)
    x = tf.constant(np.tile(bands, (4, 40, 1)))                    # every frame the same mel ramp
    crop = ResizeCropFader(canvas_time=1.0, scale=(0.6, 0.6), fader_gain=0.0)
    y = crop(x, tf.constant([3, 4])).numpy()
    np.testing.assert_allclose(y, y[:, :1].repeat(40, axis=1), atol=1e-6)             # time-constant stays so
    span = y[:, 0, -1] - y[:, 0, 0]
    np.testing.assert_allclose(span, 0.6, rtol=1e-4)                                 # 0.6 of the mel axis
    np.testing.assert_array_equal(y, crop(x, tf.constant([3, 4])).numpy())
    assert not np.allclose(y, crop(x, tf.constant([5, 6])).numpy())
    padded = ResizeCropFader(canvas_time=1.5, scale=(1.5, 1.5), fader_gain=0.0)(x, tf.constant([1, 1])).numpy()
    assert np.all(padded[:, 0] == 0) and np.all(padded[:, -1] == 0)                # the canvas' zero margins
