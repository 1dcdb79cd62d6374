"""Run a frozen encoder over a `tf.data` pipeline and collect pooled embeddings."""

import weakref

import numpy as np
import tensorflow as tf

_EMBED_FNS = weakref.WeakKeyDictionary()


def embedding_function(encoder):
    """One traced `waveform [batch, samples] -> embedding [batch, D]` per encoder (batch and length vary)."""
    if encoder not in _EMBED_FNS:
        _EMBED_FNS[encoder] = tf.function(
            lambda waveform: encoder(waveform, training=False)["embedding"],
            input_signature=[tf.TensorSpec([None, None], tf.float32)])
    return _EMBED_FNS[encoder]


def embed_dataset(encoder, dataset, progress=None):
    """Encoder + batches of `{"waveform", "labels", "clip_id"}` ->
    (embeddings float32 `[n, D]`, labels float32 `[n, classes]`, clip ids `[n]` as str).

    An encoder with an `embed_batch(waveform: np.ndarray [batch, samples]) -> [batch, D]` method
    (LiteRT files, peers such as BirdNET: `zoo.peers`) is called with NumPy arrays instead."""
    if hasattr(encoder, "embed_batch"):
        def embed(waveform):
            return tf.constant(encoder.embed_batch(waveform.numpy()))
    else:
        embed = embedding_function(encoder)

    embeddings, labels, clip_ids = [], [], []
    for batch in dataset:
        embeddings.append(embed(batch["waveform"]).numpy())
        labels.append(batch["labels"].numpy())
        clip_ids.extend(c.decode() for c in batch["clip_id"].numpy())
        if progress is not None:
            progress.update(int(batch["waveform"].shape[0]))
    return np.concatenate(embeddings), np.concatenate(labels), np.array(clip_ids)
