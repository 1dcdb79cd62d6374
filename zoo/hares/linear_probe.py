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
    paper_protocol: bool = False    # each task's paper batch and steps, peak 2e-4, 5k warm-up


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


SLOT_SEPARATOR = "|"   # Fluent Speech Commands intents are "action|object|location"


def slot_targets(labels, label_names):
    """One-hot intents `[n, intents]` named "action|object|location" -> three one-hot slot arrays and
    the three slot vocabularies (Fluent Speech Commands' three heads)."""
    parts = [name.split(SLOT_SEPARATOR) for name in label_names]
    if any(len(p) != 3 for p in parts):
        raise ValueError(f"three-slot head: labels must read action{SLOT_SEPARATOR}object{SLOT_SEPARATOR}location, "
                         f"got e.g. {label_names[0]!r}")
    vocabularies = [sorted({p[s] for p in parts}) for s in range(3)]
    intent = np.asarray(labels).argmax(1)
    targets = []
    for s, vocabulary in enumerate(vocabularies):
        index = np.array([vocabulary.index(p[s]) for p in parts])
        targets.append(np.eye(len(vocabulary), dtype=np.float32)[index[intent]])
    return targets, vocabularies


def build_head(kind, input_dim, class_counts, seed=0):
    """The probe head on standardised features `[batch, input_dim]`: "linear" (the paper's, for every
    task but AudioSet), "mlp512" (one hidden ReLU layer of 512, AudioSet, after Jansen et al.) or
    "three_slots" (three linear heads, Fluent Speech Commands). Output layers start at zero."""
    if kind not in HEADS:
        raise ValueError(f"probe head {kind!r}; expected one of {', '.join(HEADS)}")
    inputs = keras.Input((input_dim,))
    x = inputs
    if kind == "mlp512":
        x = keras.layers.Dense(512, activation="relu", kernel_initializer=keras.initializers.GlorotUniform(seed))(x)
    outputs = [keras.layers.Dense(n, kernel_initializer="zeros", name=f"logits{i}")(x)
               for i, n in enumerate(class_counts)]
    return keras.Model(inputs, outputs if len(outputs) > 1 else outputs[0])


HEADS = ("linear", "mlp512", "three_slots")


def fit_and_score(train_x, train_y, test_x, test_y, test_clip_ids, settings=ProbeSettings(), multi_label=False,
                  head="linear", label_names=None):
    """Train a probe head on (train_x, train_y) and score the test clips (sub-clip scores averaged per
    clip): softmax cross-entropy and accuracy; with `multi_label` per-class sigmoid cross-entropy and
    mAP (AudioSet, MagnaTagATune); with head "three_slots" (`label_names` the intents) three softmax
    heads with a summed loss, a clip counting as right only when all three slots are (FSC)."""
    import tensorflow as tf
    mean, std = train_x.mean(0), train_x.std(0) + 1e-6
    keras.utils.set_random_seed(settings.seed)
    if head == "three_slots":
        train_targets, vocabularies = slot_targets(train_y, label_names)
        test_targets, _ = slot_targets(test_y, label_names)
        class_counts = [len(v) for v in vocabularies]
    else:
        train_targets, test_targets, class_counts = [train_y.astype(np.float32)], [test_y], [train_y.shape[1]]
    # Zero-initialised output layers: the linear problem is convex, so the result depends on the data alone.
    model = build_head(head, train_x.shape[1], class_counts, settings.seed)
    schedule = WarmupCosine(settings.peak_learning_rate, settings.steps,
                            int(settings.warmup_fraction * settings.steps))
    loss = (keras.losses.BinaryCrossentropy(from_logits=True) if multi_label
            else keras.losses.CategoricalCrossentropy(from_logits=True))
    # One epoch of `steps` batches drawn from a repeated, reshuffled stream, run 100 steps per call:
    # Keras' per-epoch and per-step overheads would otherwise dominate on small tasks.
    model.compile(keras.optimizers.Adam(schedule), [loss] * len(class_counts) if len(class_counts) > 1 else loss,
                  steps_per_execution=min(100, settings.steps))
    targets = tuple(train_targets) if len(train_targets) > 1 else train_targets[0]
    data = (tf.data.Dataset.from_tensor_slices((((train_x - mean) / std).astype(np.float32), targets))
            .repeat().shuffle(min(len(train_x), 10_000), seed=settings.seed)
            .batch(settings.batch_size, drop_remainder=len(train_x) >= settings.batch_size))
    model.fit(data, epochs=1, steps_per_epoch=settings.steps, verbose=0)
    logits = model((test_x - mean).astype(np.float32) / std.astype(np.float32))
    logits = logits if isinstance(logits, (list, tuple)) else [logits]
    right = None
    for slot_logits, truth in zip(logits, test_targets):
        probs = keras.ops.convert_to_numpy(keras.ops.sigmoid(slot_logits) if multi_label
                                           else keras.ops.softmax(slot_logits))
        _, clip_probs = average_by_clip(test_clip_ids, probs)
        _, clip_truth = average_by_clip(test_clip_ids, truth)
        if multi_label:
            return mean_average_precision(clip_truth, clip_probs)
        slot_right = clip_probs.argmax(1) == clip_truth.argmax(1)
        right = slot_right if right is None else right & slot_right
    return float(np.mean(right))
