"""`tf.data` pipelines over the TFRecord shards of `hares-zoo prepare`.

- `training_dataset`: random crops of `crop_seconds` (clips shorter than the crop are zero-padded),
  shuffled, batched with a fixed batch size, parallel map, prefetch.
- `evaluation_dataset`: every clip cut into windows of `crop_seconds` by the task's evaluation rule
  (docs/paper-facts.md section 1d), each carrying its `clip_id`, so scores can be averaged per clip:
  `subclips` (consecutive non-overlapping windows covering the clip, the last one zero-padded),
  `overlapped10` (10 overlapped, equally spaced windows: AudioSet) or `full` (one window from the
  start: the whole fixed-length clip).
- `mixed_dataset`: passes of example-mixed training windows, for the tasks the paper trains with
  augmentation downstream (ESC-50's "10 epochs worth of augmented samples", AudioSet's example
  mixing): each clip's window mixed with a partner clip's, labels mixed by the same ratio.

Elements are dicts: `waveform` float32 `[batch, crop_samples]`, `labels` float32 multi-hot
`[batch, num_classes]`, `clip_id` string `[batch]`.
"""

import os

import tensorflow as tf

from zoo import audio_constants as ac
from zoo.data.seeded import MIX_ALPHA, MIX_BETA, fold_seed, stateless_beta
from zoo.data.tfrecords import parse_example
from zoo.errors import ConfigError, ZooError

AUTOTUNE = tf.data.AUTOTUNE


def shard_files(shard_dir, split):
    """Sorted shard paths of `split` in `shard_dir`; a clear error when there are none."""
    files = sorted(tf.io.gfile.glob(os.path.join(shard_dir, f"{split}-*-of-*.tfrecord")))
    if not files:
        raise ZooError(f"no shards for split {split!r} in {shard_dir} (expected {split}-NNNNN-of-NNNNN.tfrecord)")
    return files


def shard_clips(files):
    """Clips in `files` by the `.json` marker `hares-zoo prepare` writes beside each shard; None when a
    marker is missing (shards written otherwise: unknown, not zero)."""
    import json
    total = 0
    for path in files:
        marker = path + ".json"
        if not tf.io.gfile.exists(marker):
            return None
        with tf.io.gfile.GFile(marker) as f:
            total += int(json.loads(f.read()).get("clips", 0))
    return total


def _multi_hot(label_ids, num_classes):
    """int64 `[n_labels]` (possibly empty) -> float32 `[num_classes]` of 0/1."""
    counts = tf.reduce_sum(tf.one_hot(label_ids, num_classes, dtype=tf.float32), axis=0)
    return tf.minimum(counts, 1.0)


def pad_to(waveform, samples):
    """float32 `[n]` -> `[max(n, samples)]`: zeros appended to a clip shorter than `samples`."""
    return tf.pad(waveform, [[0, tf.maximum(samples - tf.shape(waveform)[0], 0)]])


def random_crop(waveform, crop_samples, seed):
    """float32 `[samples]` -> `[crop_samples]`: a uniformly placed window, zero-padded if too short;
    `seed` a stateless seed `[2]` (the same seed, the same window)."""
    waveform = pad_to(waveform, crop_samples)
    start = tf.random.stateless_uniform([], seed, 0, tf.shape(waveform)[0] - crop_samples + 1, tf.int32)
    return waveform[start:start + crop_samples]


def subclips(waveform, crop_samples):
    """float32 `[samples]` -> `[n, crop_samples]`, n = ceil(samples / crop), last one zero-padded."""
    length = tf.shape(waveform)[0]
    n = tf.maximum((length + crop_samples - 1) // crop_samples, 1)
    padded = tf.pad(waveform, [[0, n * crop_samples - length]])
    return tf.reshape(padded, [n, crop_samples])


def overlapped_windows(waveform, crop_samples, count=10):
    """float32 `[samples]` -> `[count, crop_samples]`: equally spaced windows from the start to the end
    (overlapping when the clip is shorter than `count` crops; zero-padded when shorter than one)."""
    waveform = pad_to(waveform, crop_samples)
    last_start = tf.cast(tf.shape(waveform)[0] - crop_samples, tf.float32)
    starts = tf.cast(tf.round(tf.linspace(0.0, last_start, count)), tf.int32)
    return tf.gather(waveform, starts[:, None] + tf.range(crop_samples)[None, :])


def first_window(waveform, crop_samples):
    """float32 `[samples]` -> `[1, crop_samples]`: the clip from its start, cut or zero-padded."""
    return pad_to(waveform, crop_samples)[None, :crop_samples]


EVAL_RULES = {"subclips": subclips, "overlapped10": lambda w, c: overlapped_windows(w, c, 10),
              "full": first_window}


def training_dataset(shard_dir, split="train", num_classes=0, crop_seconds=3.0, batch_size=32,
                     shuffle_buffer=None, seed=None, repeat=True, sample_rate=ac.SAMPLE_RATE, views=1,
                     shared_crop=False, targets=None, input_context=None, start_step=0):
    """Random-crop training batches (see module docstring). With `views` > 1 each element also has
    `views` float32 `[batch, views, crop_samples]`: independent random crops of the same clip (the
    two views of SimCLR and BYOL), or with `shared_crop` the same crop repeated (BYOL-A's views:
    one segment, made different only by the augmentations). `targets` = (clip ids `[N]`, float32
    `[N, T]`) adds each clip's row as `targets` `[batch, T]` (distillation); a clip without a row
    stops the run with its id. `targets` may instead be crop targets (an object with `clip_ids` [N],
    `first_row` [N], `count` [N], `offsets` [M] samples, `values` [M, T] and `crop_samples`, as
    `zoo.teachers.crop_targets.CropTargetTable`): the first view is then one of the clip's stored
    crops, drawn uniformly, and `targets` is that crop's row, the teachers' embedding of the very
    audio the view holds; the other views stay random crops.

    The stream is a function of `seed` alone (None: a fresh one): epoch e reads the shards in an order
    seeded by (seed, e), four at a time, and permutes each block of `shuffle_buffer` records by a
    seed of (seed, e, block); each clip's crops are drawn from (seed, e, its place in the epoch).
    `start_step` > 0 starts the stream where a run that had done that many steps left it, so a
    resumed run reads exactly the batches an uninterrupted one would have (skipping whole epochs by
    the shards' clip counts, then the serialized records of the rest, never decoding them).

    `input_context` (a `tf.distribute.InputContext`, from `distribute_datasets_from_function`) makes
    this one worker's pipeline: it reads only its own shards (every N-th of the sorted files, N the
    number of input pipelines; fewer shards than pipelines is an error naming both) and batches
    `batch_size`, the global batch, down to one replica's. `shuffle_buffer` defaults to 16 batches
    (at least 1,024 clips)."""
    crop = int(round(crop_seconds * sample_rate))
    files = shard_files(shard_dir, split)
    clips_per_step = batch_size                 # clips this pipeline reads per global step
    if input_context is not None:
        workers = input_context.num_input_pipelines
        if len(files) < workers:
            raise ConfigError(f"{shard_dir} holds {len(files)} {split} shard(s) for {workers} workers: each worker "
                              f"reads shards of its own, so write at least {workers} (hares-zoo prepare "
                              "--clips_per_shard=N with a smaller N)")
        files = files[input_context.input_pipeline_id::workers]
        if shard_clips(files) == 0:
            raise ConfigError(f"worker {input_context.input_pipeline_id} of {workers} has no data: its shards of "
                              f"{shard_dir} ({', '.join(os.path.basename(f) for f in files)}) hold no clips")
        batch_size = input_context.get_per_replica_batch_size(batch_size)
        clips_per_step = batch_size * input_context.num_replicas_in_sync // workers
    shuffle_buffer = shuffle_buffer or max(1024, 16 * batch_size)
    if seed is None:
        seed = int(tf.random.uniform([], 0, 2**31 - 1, tf.int64))
    run_seed = tf.constant([int(seed), 0], tf.int64)
    skip = int(start_step) * clips_per_step
    epoch_clips = shard_clips(files) if skip else None
    first_epoch, skip = (skip // epoch_clips, skip % epoch_clips) if epoch_clips else (0, skip)

    def one_epoch(epoch):
        epoch_seed = fold_seed(run_seed, epoch)
        names = tf.random.experimental.stateless_shuffle(tf.constant(files), fold_seed(epoch_seed, 0))
        records = tf.data.Dataset.from_tensor_slices(names).interleave(
            tf.data.TFRecordDataset, cycle_length=min(4, len(files)), num_parallel_calls=AUTOTUNE, deterministic=True)
        # Shuffled in blocks of `shuffle_buffer` records, each permuted by its own stateless seed
        # (tf.data's shuffle takes no per-epoch tensor seed once a global seed is set).
        shuffled = records.batch(shuffle_buffer).enumerate().map(
            lambda block, rows: tf.random.experimental.stateless_shuffle(rows, fold_seed(epoch_seed, 1, block)))
        return shuffled.unbatch().enumerate().map(lambda index, serialized: (epoch, index, serialized))

    last_epoch = tf.int64.max if repeat else first_epoch + 1
    ds = tf.data.Dataset.range(first_epoch, last_epoch).flat_map(one_epoch).skip(skip)
    per_crop = targets is not None and hasattr(targets, "offsets")
    if per_crop:
        if int(targets.crop_samples) != crop:
            raise ConfigError(f"crop targets of {targets.crop_samples} samples for crops of {crop} (crop_seconds="
                              f"{crop_seconds}): compute the targets for the run's crop length")
        ids, rows = targets.clip_ids, targets.values
        first_row, count = tf.constant(targets.first_row, tf.int64), tf.constant(targets.count, tf.int64)
        offsets = tf.constant(targets.offsets, tf.int32)
    elif targets is not None:
        ids, rows = targets
    if targets is not None:
        table = tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(
            tf.constant([str(i) for i in ids]), tf.range(len(ids), dtype=tf.int64)), default_value=-1)
        rows = tf.constant(rows, tf.float32)

    def to_training(epoch, index, serialized):
        example = parse_example(serialized)
        clip_seed = fold_seed(run_seed, epoch, index)
        if targets is not None:
            row = table.lookup(example["clip_id"])
            check = tf.debugging.Assert(row >= 0, ["no teacher targets for clip", example["clip_id"],
                                                   "; recompute them for these shards"])
            with tf.control_dependencies([check]):
                row = tf.maximum(row, 0)
        if per_crop:        # one of the clip's stored crops, drawn uniformly; its own targets
            pick = tf.random.stateless_uniform([], fold_seed(clip_seed, 0), 0, count[row], tf.int64)
            row = first_row[row] + pick
            crops = [pad_to(example["waveform"], crop)[offsets[row]:offsets[row] + crop]]
        else:
            crops = [random_crop(example["waveform"], crop, fold_seed(clip_seed, 0))]
        element = {"waveform": crops[0], "labels": _multi_hot(example["label_ids"], num_classes),
                   "clip_id": example["clip_id"]}
        if targets is not None:
            element["targets"] = tf.gather(rows, row)
        if views > 1:
            crops += ([crops[0]] * (views - 1) if shared_crop else
                      [random_crop(example["waveform"], crop, fold_seed(clip_seed, v)) for v in range(1, views)])
            element["views"] = tf.stack(crops)
        return element

    ds = ds.map(to_training, num_parallel_calls=AUTOTUNE, deterministic=True)
    return ds.batch(batch_size, drop_remainder=True).prefetch(AUTOTUNE)


def evaluation_dataset(shard_dir, split="test", num_classes=0, crop_seconds=3.0, batch_size=32,
                       sample_rate=ac.SAMPLE_RATE, rule="subclips"):
    """Evaluation windows by `rule` (see module docstring), batched in file order."""
    if rule not in EVAL_RULES:
        raise ConfigError(f"evaluation rule {rule!r}; expected one of {', '.join(EVAL_RULES)}")
    windows = EVAL_RULES[rule]
    crop = int(round(crop_seconds * sample_rate))
    ds = tf.data.TFRecordDataset(shard_files(shard_dir, split))

    def to_subclips(serialized):
        example = parse_example(serialized)
        pieces = windows(example["waveform"], crop)
        n = tf.shape(pieces)[0]
        labels = _multi_hot(example["label_ids"], num_classes)
        return tf.data.Dataset.from_tensor_slices({
            "waveform": pieces,
            "labels": tf.repeat(labels[None], n, axis=0),
            "clip_id": tf.repeat(example["clip_id"][None], n, axis=0)})

    ds = ds.flat_map(to_subclips)
    return ds.batch(batch_size).prefetch(AUTOTUNE)


PARTNER_BUFFER = 512                # partners come from a shuffle buffer of this many clips


def mixed_dataset(shard_dir, split, num_classes, crop_seconds, batch_size=32, passes=1, seed=0, rule="full",
                  sample_rate=ac.SAMPLE_RATE):
    """`passes` passes over the split's clips in file order, one training window per clip and pass
    (`rule` "full": the clip from its start; otherwise a seeded random crop), each mixed with a
    partner clip's window drawn through a seeded shuffle buffer of the same split:
        x' = lam * x + (1 - lam) * x_partner,   labels' = lam * labels + (1 - lam) * labels_partner,
    lam ~ Beta(5, 2) per window (the pretraining's example mixing; `zoo.data.seeded`). Seeded
    and stateless: the same arguments give the same windows. Elements as `evaluation_dataset`'s,
    `labels` soft; `clip_id` is the clip's own."""
    if passes < 1:
        raise ConfigError(f"mixed_dataset: passes must be >= 1, got {passes}")
    crop = int(round(crop_seconds * sample_rate))
    files = shard_files(shard_dir, split)

    def windows(pass_seed):
        def to_window(index, serialized):
            example = parse_example(serialized)
            waveform = pad_to(example["waveform"], crop)
            if rule == "full":
                start = 0
            else:
                start = tf.random.stateless_uniform([], fold_seed(pass_seed, index), 0,
                                                    tf.shape(waveform)[0] - crop + 1, tf.int32)
            return {"waveform": waveform[start:start + crop], "labels": _multi_hot(example["label_ids"], num_classes),
                    "clip_id": example["clip_id"]}
        return tf.data.TFRecordDataset(files).enumerate().map(to_window, num_parallel_calls=AUTOTUNE,
                                                               deterministic=True)

    def mix(index, pair, pass_seed):
        clip, partner = pair
        lam = stateless_beta([], MIX_ALPHA, MIX_BETA, fold_seed(pass_seed, index, 7))
        return {"waveform": lam * clip["waveform"] + (1 - lam) * partner["waveform"],
                "labels": lam * clip["labels"] + (1 - lam) * partner["labels"], "clip_id": clip["clip_id"]}

    ds = None
    for p in range(int(passes)):
        pass_seed = fold_seed(tf.constant([int(seed), 0]), p + 1)
        partners = windows(fold_seed(pass_seed, 1)).shuffle(PARTNER_BUFFER, seed=int(seed) * 1009 + p,
                                                            reshuffle_each_iteration=False).repeat()
        one = tf.data.Dataset.zip(windows(pass_seed), partners).enumerate().map(
            lambda i, pair, s=pass_seed: mix(i, pair, s), num_parallel_calls=AUTOTUNE, deterministic=True)
        ds = one if ds is None else ds.concatenate(one)
    return ds.batch(batch_size).prefetch(AUTOTUNE)
