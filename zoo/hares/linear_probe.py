"""A linear probe on frozen embeddings, scored per clip by averaging sub-clip predictions.

Protocol (docs/paper-facts.md section 2): frozen encoder, global average pooling, one linear
layer, Adam with a linear warm-up then cosine decay to 0 from the paper's peak 2e-4, batch 64;
features standardised with the training set's statistics; clip scores are the mean of the clip's
sub-clip scores.

Steps are scaled to the data set (`auto_steps`): 100 epochs, at least 20,000 steps, at most the
paper's 400k. Small sets need the floor at peak 2e-4: on mini-HARES a random-init CNN's features
score 55.1 % after 6,000 steps and 58.5 % after 20,000, where scikit-learn's L2 logistic
regression gets 58.2 % with its defaults and 57.9 % at its exact optimum
(`benchmarks/probe_speed.py`). `ProbeSettings(paper_protocol=True)` runs
each task's paper counts instead.

`ProbeSettings(solver="lbfgs")` fits the linear heads by full-batch L-BFGS on scikit-learn's
L2-penalised logistic objective instead (`zoo.hares.lbfgs`): faster than scikit-learn itself at
the same accuracy, but not the paper's protocol.
"""

import dataclasses
import warnings

import keras
import numpy as np

from zoo.schedules import warmup_cosine
from zoo.errors import ConfigError


@dataclasses.dataclass
class ProbeSettings:
    batch_size: int = 64            # the paper's downstream batch
    peak_learning_rate: float = 2e-4    # the paper's
    steps: int = 0                  # 0: scaled to the data set (`auto_steps`); the paper runs 400k
    warmup_fraction: float = 0.1
    seed: int = 0
    paper_protocol: bool = False    # each task's paper batch and steps, peak 2e-4, 5k warm-up, augmented passes
    augmented_passes: int = 0       # ESC-50, AudioSet: train on this many passes of example-mixed windows
    solver: str = "adam"            # "adam": the paper's; "lbfgs": full batch, linear heads (`zoo.hares.lbfgs`)
    inverse_l2: float = 1.0         # lbfgs only: scikit-learn's C, the penalty being ||W||^2 / (2 C n)
    max_iterations: int = 1000      # lbfgs only
    tolerance: float = 1e-4         # lbfgs only: stop when the largest gradient entry is below (scikit-learn's tol)

    def __post_init__(self):
        if self.solver not in SOLVERS:
            raise ConfigError(f"probe solver {self.solver!r}; expected one of {', '.join(SOLVERS)}")
        if self.inverse_l2 <= 0 or self.max_iterations < 1 or self.tolerance <= 0:
            raise ConfigError(f"probe lbfgs settings: need inverse_l2 > 0, max_iterations >= 1, tolerance > 0; got "
                             f"{self.inverse_l2}, {self.max_iterations}, {self.tolerance}")


SOLVERS = ("adam", "lbfgs")


MIN_STEPS, EPOCHS, MAX_STEPS = 20_000, 100, 400_000


def auto_steps(examples, batch_size=64):
    """Probe steps scaled to a training set of `examples` windows: 100 epochs within [20k, 400k]."""
    return int(min(MAX_STEPS, max(MIN_STEPS, EPOCHS * -(-examples // batch_size))))


def average_by_clip(clip_ids, scores):
    """Mean of `scores [n, C]` over rows sharing a clip id -> (unique ids in first-seen order, `[clips, C]`)."""
    unique, first, inverse = np.unique(clip_ids, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    by_clip = np.argsort(inverse, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(inverse[by_clip]) != 0])
    sums = np.add.reduceat(np.asarray(scores, np.float64)[by_clip], starts, axis=0)
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
        raise ConfigError(f"three-slot head: labels must read action{SLOT_SEPARATOR}object{SLOT_SEPARATOR}location, "
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
        raise ConfigError(f"probe head {kind!r}; expected one of {', '.join(HEADS)}")
    inputs = keras.Input((input_dim,))
    x = inputs
    if kind == "mlp512":
        x = keras.layers.Dense(512, activation="relu", kernel_initializer=keras.initializers.GlorotUniform(seed))(x)
    outputs = [keras.layers.Dense(n, kernel_initializer="zeros", name=f"logits{i}")(x)
               for i, n in enumerate(class_counts)]
    return keras.Model(inputs, outputs if len(outputs) > 1 else outputs[0])


HEADS = ("linear", "mlp512", "three_slots")


ADAM_BETA_1, ADAM_BETA_2, ADAM_EPSILON = 0.9, 0.999, 1e-7     # keras.optimizers.Adam's defaults
_TRAINERS = {}


def _round_up(value, multiple):
    """`value` rounded up to a multiple of `multiple` (row, feature and class padding: tasks of similar
    size share shapes, and at most one block is wasted)."""
    return -(-int(value) // multiple) * multiple


def _trainer(kind, dim, class_counts, rows, batch, multi_label):
    """(template head, compiled training function) for padded shapes, built once and reused by every
    task with the same padded shapes: XLA compiles a loop once instead of once per task."""
    import tensorflow as tf
    key = (kind, dim, tuple(class_counts), rows, batch, multi_label)
    if key in _TRAINERS:
        return _TRAINERS[key]
    template = build_head(kind, dim, class_counts)

    def loss_of(values, xb, targets, masks):
        outputs, _ = template.stateless_call(values, [], xb, training=True)
        outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
        losses = []
        for logits, truth, mask in zip(outputs, targets, masks):
            if multi_label:
                per_class = tf.nn.sigmoid_cross_entropy_with_logits(truth, logits) * mask
                losses.append(tf.reduce_sum(per_class, -1) / tf.reduce_sum(mask))
            else:
                losses.append(tf.nn.softmax_cross_entropy_with_logits(truth, logits + (mask - 1.0) * 1e9))
        return tf.reduce_mean(tf.add_n(losses))

    @tf.function(jit_compile=True)
    def train(values, x, targets, masks, n, steps, peak, warmup, seed):
        zeros = [tf.zeros_like(v) for v in values]

        def body(step, values, m, v):
            index = tf.random.stateless_uniform([batch], tf.stack([seed, step]), 0, n, tf.int32)
            with tf.GradientTape() as tape:
                tape.watch(values)
                loss = loss_of(values, tf.gather(x, index), [tf.gather(t, index) for t in targets], masks)
            grads = tape.gradient(loss, values)
            t = tf.cast(step + 1, tf.float32)
            lr = warmup_cosine(step, peak, steps, warmup)
            alpha = lr * tf.sqrt(1.0 - ADAM_BETA_2 ** t) / (1.0 - ADAM_BETA_1 ** t)
            m = [ADAM_BETA_1 * a + (1 - ADAM_BETA_1) * g for a, g in zip(m, grads)]
            v = [ADAM_BETA_2 * a + (1 - ADAM_BETA_2) * g * g for a, g in zip(v, grads)]
            values = [w - alpha * a / (tf.sqrt(b) + ADAM_EPSILON) for w, a, b in zip(values, m, v)]
            return step + 1, values, m, v

        _, values, _, _ = tf.while_loop(lambda step, *_: step < steps, body, (tf.constant(0), values, zeros, zeros))
        return values

    _TRAINERS[key] = (template, train)
    return template, train


CHUNK_ROWS = 65_536     # rows per slice when standardising: no full-size temporary copy


ALIGNMENT = 64     # bytes: TensorFlow's CPU tensors must start on a 64-byte boundary


def _aligned_zeros(shape):
    """A zeroed float32 array whose data start on a 64-byte boundary (TensorFlow can then use it in place)."""
    count = int(np.prod(shape))
    raw = np.zeros(count * 4 + ALIGNMENT, np.uint8)
    offset = -raw.ctypes.data % ALIGNMENT
    return raw[offset:offset + count * 4].view(np.float32).reshape(shape)


def _as_tensor(array):
    """`array` as a TensorFlow tensor without a copy when it is 64-byte aligned and C-contiguous
    (DLPack), else copied: the probe's largest input is then held once, not three times."""
    import tensorflow as tf
    if array.ctypes.data % ALIGNMENT == 0 and array.flags.c_contiguous and hasattr(array, "__dlpack__"):
        try:
            return tf.experimental.dlpack.from_dlpack(array.__dlpack__())
        except (AttributeError, TypeError, ValueError, tf.errors.OpError):
            pass
    return tf.constant(array)


def feature_moments(x):
    """(mean, std + 1e-6) of `x [n, D]` per feature, float32, accumulated in float64 over row chunks."""
    total, squares = np.zeros(x.shape[1]), np.zeros(x.shape[1])
    for start in range(0, len(x), CHUNK_ROWS):
        part = np.asarray(x[start:start + CHUNK_ROWS], np.float64)
        total += part.sum(0)
        squares += np.square(part).sum(0)
    mean = total / max(len(x), 1)
    std = np.sqrt(np.maximum(squares / max(len(x), 1) - mean ** 2, 0.0)) + 1e-6
    return mean.astype(np.float32), std.astype(np.float32)


def padded_inputs(x, targets, standardize=None):
    """(`x [n, D]` zero-padded to `[rows, D']`, each of `targets` padded to `[rows, C']`, one class
    mask `[C']` per target): rows padded to a multiple of 512, features of 128, classes of 16, so
    tasks of similar size share a compiled loop. With `standardize=(mean, std)` rows are
    standardised slice by slice while copied (no full-size temporary)."""
    n, dim = x.shape
    rows, dim_pad = _round_up(n, 512), _round_up(dim, 128)
    x_pad = _aligned_zeros((rows, dim_pad))
    for start in range(0, n, CHUNK_ROWS):
        part = x[start:start + CHUNK_ROWS]
        x_pad[start:start + len(part), :dim] = part if standardize is None else (part - standardize[0]) / standardize[1]
    t_pad, masks = [], []
    for t in targets:
        t_pad.append(np.zeros((rows, _round_up(t.shape[1], 16)), np.float32))
        t_pad[-1][:n, :t.shape[1]] = t
        masks.append(np.zeros(t_pad[-1].shape[1], np.float32))
        masks[-1][:t.shape[1]] = 1.0
    return x_pad, t_pad, masks


def train_loop(model, x, targets, peak_learning_rate, steps, warmup_steps, batch_size, seed, multi_label,
               head="linear", standardize=None):
    """Adam (Keras' defaults), warm-up then cosine, on `model`'s weights for `steps` minibatches drawn
    uniformly (with replacement, seeded by step) from the in-memory `x [n, D]` and `targets` (one
    array per head); loss: the sum over heads of softmax (or sigmoid) cross-entropy. With
    `standardize=(mean, std)`, `x` is standardised slice by slice while it is copied into the padded
    input (the probe's memory peak is then the embeddings plus one padded float32 copy).

    All steps run in one XLA-compiled loop over a pure function of the weights (Keras'
    `stateless_call`), on inputs zero-padded to multiples of 512 rows, 128 features and 16 classes
    (padded classes masked out), so tasks of similar size reuse one compilation (0.7 to 1.3 s, kept
    on disk across processes by `zoo.xla_cache`); after it, a step costs about 25 microseconds on a
    CPU for mini-HARES shapes."""
    import tensorflow as tf
    n = len(x)
    x_pad, t_pad, masks = padded_inputs(x, targets, standardize)
    rows, dim_pad = x_pad.shape
    template, train = _trainer(head, dim_pad, [m.shape[0] for m in masks], rows, min(int(batch_size), n), multi_label)
    # Start from this task's initial weights, padded (zero rows and columns stay zero: zero inputs).
    initial = []
    for w, slot in zip(model.trainable_weights, template.trainable_weights):
        value = np.zeros(slot.shape, np.float32)
        w = keras.ops.convert_to_numpy(w)
        value[tuple(slice(0, s) for s in w.shape)] = w
        initial.append(tf.constant(value))
    trained = train(initial, _as_tensor(x_pad), [tf.constant(t) for t in t_pad], [tf.constant(m) for m in masks],
                    tf.constant(n), tf.constant(int(steps)), tf.constant(float(peak_learning_rate)),
                    tf.constant(float(warmup_steps)), tf.constant(int(seed)))
    for w, value in zip(model.trainable_weights, trained):
        w.assign(value.numpy()[tuple(slice(0, s) for s in w.shape)])


def fit_lbfgs(model, x, targets, multi_label, settings, standardize=None):
    """Fit the linear output layers of `model` ("linear" or "three_slots" head) by full-batch L-BFGS
    on `x [n, D]` and `targets` (one array per head) -> the solver's report (iterations, loss)."""
    from zoo.hares import lbfgs
    x_pad, t_pad, masks = padded_inputs(x, targets, standardize)
    heads, report = lbfgs.fit_linear(_as_tensor(x_pad), len(x), t_pad, masks, multi_label, settings.inverse_l2,
                                     settings.max_iterations, settings.tolerance)
    layers = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    for layer, (kernel, bias), target in zip(layers, heads, targets):
        layer.set_weights([kernel[:x.shape[1], :target.shape[1]], bias[:target.shape[1]]])
    if report["stopped"] == "max_iterations":
        warnings.warn(f"probe lbfgs: stopped at max_iterations={settings.max_iterations} with the largest gradient "
                      f"entry {report['max_gradient']:.2g} above tolerance {settings.tolerance:g}; raise "
                      f"max_iterations for the converged fit", RuntimeWarning, stacklevel=2)
    return report


def fit_and_score(train_x, train_y, test_x, test_y, test_clip_ids, settings=ProbeSettings(), multi_label=False,
                  head="linear", label_names=None, with_outcomes=False):
    """Train a probe head on (train_x, train_y) and score the test clips (sub-clip scores averaged per
    clip): softmax cross-entropy and accuracy; with `multi_label` per-class sigmoid cross-entropy and
    mAP (AudioSet, MagnaTagATune); with head "three_slots" (`label_names` the intents) three softmax
    heads with a summed loss, a clip counting as right only when all three slots are (FSC). With
    `settings.solver="lbfgs"` linear heads are fitted by full-batch L-BFGS (AudioSet's "mlp512"
    head always trains with Adam). With `with_outcomes`, returns (score, `intervals.TaskOutcomes` of
    the test clips, or None for mAP) instead of the score alone."""
    mean, std = feature_moments(train_x)
    keras.utils.set_random_seed(settings.seed)
    if head == "three_slots":
        train_targets, vocabularies = slot_targets(train_y, label_names)
        test_targets, _ = slot_targets(test_y, label_names)
        class_counts = [len(v) for v in vocabularies]
    else:
        train_targets, test_targets, class_counts = [train_y.astype(np.float32)], [test_y], [train_y.shape[1]]
    # Zero-initialised output layers: the linear problem is convex, so the result depends on the data alone.
    model = build_head(head, train_x.shape[1], class_counts, settings.seed)
    if settings.solver == "lbfgs" and head != "mlp512":
        fit_lbfgs(model, train_x, train_targets, multi_label, settings, standardize=(mean, std))
    else:
        steps = settings.steps or auto_steps(len(train_x), settings.batch_size)
        train_loop(model, train_x, train_targets, settings.peak_learning_rate, steps,
                   int(settings.warmup_fraction * steps), settings.batch_size, settings.seed, multi_label, head,
                   standardize=(mean, std))
    logits = model(((test_x - mean) / std).astype(np.float32))
    logits = logits if isinstance(logits, (list, tuple)) else [logits]
    right = None
    for slot_logits, truth in zip(logits, test_targets):
        probs = keras.ops.convert_to_numpy(keras.ops.sigmoid(slot_logits) if multi_label
                                           else keras.ops.softmax(slot_logits))
        clip_ids, clip_probs = average_by_clip(test_clip_ids, probs)
        _, clip_truth = average_by_clip(test_clip_ids, truth)
        if multi_label:
            score = mean_average_precision(clip_truth, clip_probs)
            return (score, None) if with_outcomes else score
        slot_right = clip_probs.argmax(1) == clip_truth.argmax(1)
        right = slot_right if right is None else right & slot_right
    if with_outcomes:
        from zoo.hares.intervals import TaskOutcomes
        return float(np.mean(right)), TaskOutcomes(np.asarray(clip_ids), right.astype(np.float64))
    return float(np.mean(right))
