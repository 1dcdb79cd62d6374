"""On-disk cache of frozen-encoder embeddings, one `.npz` per (encoder, task data, split, windows).

The key hashes the encoder's identity (a Keras model's class, config, weight values and the source
files of its layers' classes, so that editing the code that computes an embedding misses the cache
even for an encoder without weights such as `logmel_stats`; a SavedModel folder's file names,
sizes and times; a LiteRT file's bytes; or a teacher's pinned wheel and the source of its port;
other encoders are not cached; a `concat:` row reads its parts' entries), the shard folder's
`dataset_info.json` (manifest fingerprint, labels, clip counts), the split and the evaluation
windows (rule, seconds). Retraining an encoder, re-preparing a task or changing the
crop therefore misses the cache; the same encoder scored again, or with a different probe head or
learning rate, reads it in milliseconds. Files live in `cache_dir("embeddings")`; delete the
folder to clear it.
"""

import dataclasses
import hashlib
import inspect
import json
import os

import keras
import numpy as np

FORMAT_VERSION = 1


def encoder_key(encoder):
    """A hex digest of what the encoder computes, or None when it cannot be known (no caching)."""
    digest = hashlib.sha256()
    if hasattr(encoder, "get_config") and hasattr(encoder, "weights"):
        if not getattr(encoder, "built", True):
            return None     # weights not created yet: nothing identifies them
        digest.update(type(encoder).__name__.encode())
        digest.update(json.dumps(encoder.get_config(), sort_keys=True, default=str).encode())
        for weight in encoder.weights:
            digest.update(weight.path.encode() if hasattr(weight, "path") else b"")
            digest.update(np.ascontiguousarray(keras.ops.convert_to_numpy(weight)).tobytes())
        for path in layer_sources(encoder):
            with open(path, "rb") as f:
                digest.update(f.read())
        return digest.hexdigest()
    spec = getattr(encoder, "spec", None)
    if spec is not None and dataclasses.is_dataclass(spec):          # a teacher (zoo.teachers.base.Teacher)
        digest.update(f"teacher:{type(encoder).__name__}:{json.dumps(dataclasses.asdict(spec), sort_keys=True)}"
                      .encode())
        with open(inspect.getsourcefile(type(encoder)), "rb") as f:
            digest.update(f.read())                                # a change to the port misses the cache
        return digest.hexdigest()
    path = getattr(encoder, "path", None)
    if path and os.path.isdir(path):
        for folder, _, files in sorted(os.walk(path)):
            for name in sorted(files):
                stat = os.stat(os.path.join(folder, name))
                digest.update(f"{os.path.relpath(os.path.join(folder, name), path)}:{stat.st_size}:"
                              f"{stat.st_mtime_ns}".encode())
        return digest.hexdigest()
    if path and os.path.isfile(path) and path.endswith(".tflite"):
        with open(path, "rb") as f:
            digest.update(b"litert:" + f.read())
        return digest.hexdigest()
    return None


def layer_sources(model):
    """Sorted source files of the classes (and their base classes) of `model` and every layer inside
    it: the code that turns a waveform into its embedding, Keras' own layers included."""
    layers = model._flatten_layers(include_self=True, recursive=True) if hasattr(model, "_flatten_layers") \
        else [model]
    paths = set()
    for layer in layers:
        for cls in type(layer).__mro__:
            if cls.__module__.split(".")[0] in ("builtins", "tensorflow"):
                continue
            try:
                paths.add(inspect.getsourcefile(cls))
            except TypeError:                                      # a class defined in C
                continue
    return sorted(p for p in paths if p)


def entry_path(model_key, info, split, rule, seconds):
    """The cache file of one split's embeddings."""
    from zoo.cache import cache_dir
    data = json.dumps({"labels": info["labels"], "fingerprint": info.get("manifest_fingerprint"),
                       "splits": {s: v["clips"] for s, v in info["splits"].items()},
                       "rate": info.get("sample_rate")}, sort_keys=True)
    key = hashlib.sha256(f"{FORMAT_VERSION}|{model_key}|{data}|{split}|{rule}|{seconds}".encode()).hexdigest()[:32]
    return os.path.join(cache_dir("embeddings"), f"{key}.npz")


def load(path):
    """(embeddings, labels, clip ids) from a cache file, or None when absent or unreadable."""
    if not os.path.exists(path):
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            return data["embeddings"], data["labels"], data["clip_ids"]
    except (OSError, ValueError, KeyError):
        return None


def save(path, embeddings, labels, clip_ids):
    """Write atomically (a killed job never leaves a half-written entry; two jobs writing the same
    entry each write their own temporary file, and the last rename wins)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f"{path}.{os.getpid()}.tmp.npz"
    np.savez(tmp, embeddings=embeddings, labels=labels, clip_ids=np.asarray(clip_ids, dtype=str))
    os.replace(tmp, path)
