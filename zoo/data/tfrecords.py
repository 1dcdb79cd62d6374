"""The TFRecord shard format: one `tf.train.Example` per clip.

Features:
  audio        bytes   int16 little-endian PCM, mono
  sample_rate  int64   Hz (16000 for shards written by `hares-zoo prepare`)
  num_samples  int64
  labels       bytes*  label strings (none for unlabelled audio)
  label_ids    int64*  indices into the dataset's label vocabulary (`dataset_info.json`)
  clip_id      bytes   stable id of the clip (manifest path, plus `@start-end` for a segment)

Shards are named `{split}-{index:05d}-of-{count:05d}.tfrecord`.
"""

import numpy as np
import tensorflow as tf

FEATURES = {
    "audio": tf.io.FixedLenFeature([], tf.string),
    "sample_rate": tf.io.FixedLenFeature([], tf.int64),
    "num_samples": tf.io.FixedLenFeature([], tf.int64),
    "labels": tf.io.VarLenFeature(tf.string),
    "label_ids": tf.io.VarLenFeature(tf.int64),
    "clip_id": tf.io.FixedLenFeature([], tf.string),
}


def shard_name(split, index, count):
    return f"{split}-{index:05d}-of-{count:05d}.tfrecord"


def encode_example(pcm16, sample_rate, labels, label_ids, clip_id):
    """int16 `[samples]` plus metadata -> serialized `tf.train.Example` bytes."""
    pcm16 = np.asarray(pcm16, dtype="<i2")
    feature = {
        "audio": tf.train.Feature(bytes_list=tf.train.BytesList(value=[pcm16.tobytes()])),
        "sample_rate": tf.train.Feature(int64_list=tf.train.Int64List(value=[int(sample_rate)])),
        "num_samples": tf.train.Feature(int64_list=tf.train.Int64List(value=[pcm16.shape[0]])),
        "labels": tf.train.Feature(bytes_list=tf.train.BytesList(value=[l.encode() for l in labels])),
        "label_ids": tf.train.Feature(int64_list=tf.train.Int64List(value=list(label_ids))),
        "clip_id": tf.train.Feature(bytes_list=tf.train.BytesList(value=[clip_id.encode()])),
    }
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def parse_example(serialized):
    """In-graph: serialized Example -> dict with `waveform` float32 `[samples]` in [-1, 1],
    `label_ids` int64 `[n_labels]`, `clip_id`, `sample_rate`."""
    parsed = tf.io.parse_single_example(serialized, FEATURES)
    pcm = tf.io.decode_raw(parsed["audio"], tf.int16, little_endian=True)
    return {
        "waveform": tf.cast(pcm, tf.float32) / 32768.0,
        "label_ids": tf.sparse.to_dense(parsed["label_ids"]),
        "clip_id": parsed["clip_id"],
        "sample_rate": parsed["sample_rate"],
    }
