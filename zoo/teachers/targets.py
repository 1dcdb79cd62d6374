"""Teacher targets: each teacher's embedding of every clip of a shard folder, computed once and
cached beside the shards, then served to `--objective=distill` standardised and concatenated.

    <shards>/teachers/<teacher>-<split>.npz   clip_id [N], embedding float32 [N, dim], failed [M],
                                              fingerprint (of the shards it was computed on)

`ensure_targets` computes what is missing or stale (a progress bar; a clip a teacher cannot embed is
reported by id, counted and left out, never fatal); `load_targets` returns a `TargetTable`.
"""

import dataclasses
import io
import json
import os

import numpy as np

from zoo.errors import ZooError
from zoo.teachers import create_teacher, list_teachers, teacher_spec

CLIPS_PER_CALL = 32


def _cache_path(shard_dir, name, split):
    return os.path.join(shard_dir, "teachers", f"{name}-{split}.npz")


def _fingerprint(shard_dir, split):
    """(fingerprint, shard files) of `split`: which clips, whatever the shards' order and count (the
    clip set's fingerprint from `dataset_info.json` and the records' total bytes, which do not
    depend on how the clips are cut into shards); shards written before the clip set was recorded:
    the manifest's fingerprint, the file count and the bytes."""
    import tensorflow as tf
    files = sorted(tf.io.gfile.glob(os.path.join(shard_dir, f"{split}-*-of-*.tfrecord")))
    if not files:
        raise ZooError(f"no shards for split {split!r} in {shard_dir}")
    info_path = os.path.join(shard_dir, "dataset_info.json")
    info = {}
    if tf.io.gfile.exists(info_path):
        with tf.io.gfile.GFile(info_path) as f:
            info = json.loads(f.read())
    size = sum(tf.io.gfile.stat(f).length for f in files)
    if "clip_set_fingerprint" in info:
        return f"clips-{info['clip_set_fingerprint']}:{size}", files
    return f"{info.get('manifest_fingerprint', '')}:{len(files)}:{size}", files


def _shard_clip_ids(files):
    import tensorflow as tf
    feature = {"clip_id": tf.io.FixedLenFeature([], tf.string)}
    return {tf.io.parse_single_example(r, feature)["clip_id"].numpy().decode() for r in tf.data.TFRecordDataset(files)}


def _still_valid(cached, fingerprint, files):
    """Targets computed on shards that were since re-written in another order or count (the same
    clips, the same bytes): their clip ids are those of the shards. Only checked when the
    fingerprints differ in more than the clip order."""
    old, new = str(cached["fingerprint"]), fingerprint
    if old.rsplit(":", 1)[-1] != new.rsplit(":", 1)[-1]:          # the records' bytes differ
        return False
    known = set(cached["clip_id"].astype(str)) | set(cached["failed"].astype(str))
    return known == _shard_clip_ids(files)


def _save_npz(path, **arrays):
    """`np.savez` to any TensorFlow filesystem (local, gs://, ram://), atomically."""
    import tensorflow as tf
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    tf.io.gfile.makedirs(os.path.dirname(path))
    with tf.io.gfile.GFile(path + ".tmp", "wb") as f:
        f.write(buffer.getvalue())
    tf.io.gfile.rename(path + ".tmp", path, overwrite=True)


def _load_npz(path):
    """`np.load` of an `.npz` on any TensorFlow filesystem; None when the file does not exist."""
    import tensorflow as tf
    if not tf.io.gfile.exists(path):
        return None
    with tf.io.gfile.GFile(path, "rb") as f:
        return np.load(io.BytesIO(f.read()))


def _clips(files):
    import tensorflow as tf
    from zoo.data.tfrecords import parse_example
    for serialized in tf.data.TFRecordDataset(files):
        example = parse_example(serialized)
        yield example["clip_id"].numpy().decode(), example["waveform"].numpy()


def _embed_all(teacher, clips):
    """[(clip_id, waveform)] -> (ids, [n, dim], failed ids); a failing call is retried clip by clip."""
    try:
        return [c for c, _ in clips], teacher.embed_batch([w for _, w in clips]), []
    except Exception:                                         # noqa: BLE001 - one bad clip must not stop the job
        ids, rows, failed = [], [], []
        for clip_id, waveform in clips:
            try:
                rows.append(teacher.embed(waveform))
                ids.append(clip_id)
            except Exception as error:                        # noqa: BLE001
                print(f"teacher {teacher.spec.name}: skipped clip {clip_id}: {error}", flush=True)
                failed.append(clip_id)
        return ids, np.reshape(rows, (len(rows), teacher.spec.dim)), failed


def compute_targets(shard_dir, name, split="train", teacher=None):
    """Run teacher `name` over every clip of `split` and write its cache file; returns its path."""
    from tqdm import tqdm
    fingerprint, files = _fingerprint(shard_dir, split)
    teacher = teacher or create_teacher(name)
    ids, rows, failed, pending = [], [], [], []

    def flush():
        got_ids, got_rows, got_failed = _embed_all(teacher, pending)
        ids.extend(got_ids)
        rows.append(got_rows)
        failed.extend(got_failed)
        pending.clear()

    for clip_id, waveform in tqdm(_clips(files), desc=f"teacher {name}", unit="clip", mininterval=5):
        if waveform.size == 0 or not np.all(np.isfinite(waveform)):
            print(f"teacher {name}: skipped clip {clip_id}: empty or non-finite audio", flush=True)
            failed.append(clip_id)
            continue
        pending.append((clip_id, waveform))
        if len(pending) == CLIPS_PER_CALL:
            flush()
    if pending:
        flush()
    if not ids:
        raise ZooError(f"teacher {name} embedded no clip of {shard_dir} ({len(failed)} failed)")
    path = _cache_path(shard_dir, name, split)
    _save_npz(path, clip_id=np.asarray(ids), embedding=np.concatenate(rows).astype(np.float32),
              failed=np.asarray(failed, dtype=str), fingerprint=fingerprint, teacher=name)
    print(f"teacher {name}: {len(ids)} clips embedded, {len(failed)} skipped -> {path}", flush=True)
    return path


def ensure_targets(shard_dir, names, split="train"):
    """Compute the cache of every teacher in `names` that is missing or was computed on other shards."""
    fingerprint, files = _fingerprint(shard_dir, split)
    for name in names:
        path = _cache_path(shard_dir, name, split)
        cached = _load_npz(path)
        if cached is not None and str(cached["fingerprint"]) == fingerprint:
            continue
        if cached is not None and _still_valid(cached, fingerprint, files):
            arrays = {key: cached[key] for key in cached.files}
            _save_npz(path, **{**arrays, "fingerprint": fingerprint})
            print(f"teacher {name}: targets kept (the same clips, re-sharded)", flush=True)
            continue
        compute_targets(shard_dir, name, split)


@dataclasses.dataclass
class TargetTable:
    """Every clip's targets: `clip_ids` [N] str, `values` float32 [N, sum of dims] (each teacher's
    embedding standardised per dimension over the clips, so every dimension weighs the same),
    `slices` {teacher: (start, stop)} into the columns. A clip a teacher skipped gets that teacher's
    mean (zeros after standardising)."""
    clip_ids: np.ndarray
    values: np.ndarray
    slices: dict
    filled: dict         # teacher -> clips mean-filled


def load_targets(shard_dir, names, split="train"):
    """The cached targets of `names` (see `ensure_targets`) as one `TargetTable`."""
    tables, all_ids = [], set()
    for name in names:
        path = _cache_path(shard_dir, name, split)
        cached = _load_npz(path)
        if cached is None:
            raise ZooError(f"no {name} targets for {shard_dir}; run ensure_targets (hares-zoo pretrain "
                           "--objective=distill computes them)")
        with cached:
            ids, values, failed = cached["clip_id"].astype(str), cached["embedding"], cached["failed"].astype(str)
        if name in list_teachers() and values.shape[1] != teacher_spec(name).dim:
            raise ZooError(f"{path}: {values.shape[1]}-d targets, teacher {name} gives {teacher_spec(name).dim}")
        tables.append((name, dict(zip(ids, range(len(ids)))), values))
        all_ids |= set(ids) | set(failed)
    clip_ids = np.asarray(sorted(all_ids))
    columns, slices, filled, start = [], {}, {}, 0
    for name, rows, values in tables:
        mean, std = values.mean(0), values.std(0) + 1e-6
        standard = (values - mean) / std
        out = np.zeros((len(clip_ids), values.shape[1]), np.float32)
        index = np.asarray([rows.get(c, -1) for c in clip_ids])
        out[index >= 0] = standard[index[index >= 0]]
        columns.append(out)
        slices[name] = (start, start + values.shape[1])
        filled[name] = int((index < 0).sum())
        start += values.shape[1]
    return TargetTable(clip_ids, np.concatenate(columns, axis=1), slices, filled)
