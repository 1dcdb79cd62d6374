"""A linear probe on frozen embeddings, scored per clip by averaging sub-clip predictions.

Protocol (hares-paper-facts.md section 2): frozen encoder, global average pooling, one linear
layer, Adam with a linear warm-up then cosine decay to 0, batch 64; features standardised with the
training set's statistics; clip scores are the mean of the clip's sub-clip scores.
"""

import dataclasses

import keras
import numpy as np

from zoo.schedules import WarmupCosine


@dataclasses.dataclass
class ProbeSettings:
    batch_size: int = 64            # the paper's downstream batch
    peak_learning_rate: float = 1e-3
    steps: int = 1500               # scaled to mini-HARES; the paper runs 400k
    warmup_fraction: float = 0.1
    seed: int = 0


def average_by_clip(clip_ids, scores):
    """Mean of `scores [n, C]` over rows sharing a clip id -> (unique ids in first-seen order, `[clips, C]`)."""
    unique, first, inverse = np.unique(clip_ids, return_index=True, return_inverse=True)
    sums = np.zeros((len(unique), scores.shape[1]))
    np.add.at(sums, inverse, scores)
    means = sums / np.bincount(inverse)[:, None]
    order = np.argsort(first)
    return unique[order], means[order]


def mean_average_precision(truth, scores):
    """mAP over the classes that have at least one positive: `truth` multi-hot `[n, C]`, `scores [n, C]`."""
    precisions = []
    for c in range(truth.shape[1]):
        positives = truth[:, c] > 0.5
        if not positives.any():
            continue
        order = np.argsort(-scores[:, c], kind="stable")
        hits = positives[order]
        precision_at_hit = np.cumsum(hits)[hits] / (np.flatnonzero(hits) + 1)
        precisions.append(precision_at_hit.mean())
    return float(np.mean(precisions)) if precisions else float("nan")


def fit_and_score(train_x, train_y, test_x, test_y, test_clip_ids, settings=ProbeSettings(), multi_label=False):
    """Train a linear layer on (train_x, train_y) and score the test clips (sub-clip scores averaged
    per clip): softmax cross-entropy and accuracy, or with `multi_label` per-class sigmoid
    cross-entropy and mAP (AudioSet, MagnaTagATune)."""
    import tensorflow as tf
    mean, std = train_x.mean(0), train_x.std(0) + 1e-6
    keras.utils.set_random_seed(settings.seed)
    classes = train_y.shape[1]
    # A zero-initialised head: the problem is convex, so the result depends on the data alone.
    model = keras.Sequential([keras.Input((train_x.shape[1],)), keras.layers.Dense(classes, kernel_initializer="zeros")])
    schedule = WarmupCosine(settings.peak_learning_rate, settings.steps,
                            int(settings.warmup_fraction * settings.steps))
    loss = (keras.losses.BinaryCrossentropy(from_logits=True) if multi_label
            else keras.losses.CategoricalCrossentropy(from_logits=True))
    # One epoch of `steps` batches drawn from a repeated, reshuffled stream, run 100 steps per call:
    # Keras' per-epoch and per-step overheads would otherwise dominate on small tasks.
    model.compile(keras.optimizers.Adam(schedule), loss, steps_per_execution=min(100, settings.steps))
    data = (tf.data.Dataset.from_tensor_slices((((train_x - mean) / std).astype(np.float32),
                                                train_y.astype(np.float32)))
            .repeat().shuffle(min(len(train_x), 10_000), seed=settings.seed)
            .batch(settings.batch_size, drop_remainder=len(train_x) >= settings.batch_size))
    model.fit(data, epochs=1, steps_per_epoch=settings.steps, verbose=0)
    logits = model((test_x - mean).astype(np.float32) / std.astype(np.float32))
    probs = keras.ops.convert_to_numpy(keras.ops.sigmoid(logits) if multi_label else keras.ops.softmax(logits))
    ids, clip_probs = average_by_clip(test_clip_ids, probs)
    _, clip_truth = average_by_clip(test_clip_ids, test_y)
    if multi_label:
        return mean_average_precision(clip_truth, clip_probs)
    return float(np.mean(clip_probs.argmax(1) == clip_truth.argmax(1)))
