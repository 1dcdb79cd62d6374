"""Crop-consistent teacher targets: each teacher's embedding of the very crop the student trains on.

Clip targets (`zoo.teachers.targets`) embed a whole pool clip (up to 10 s) while the student hears a
2-s crop of it, so part of every target describes audio the student never heard. Here every clip
is cut into the crops the student may draw, `crop_seconds` long, starting every `hop_seconds`
(`crop_offsets`: 0, hop, 2 hop, ... while the crop fits; a clip no longer than the crop gives one
crop at 0, zero-padded as the training pipeline pads it), and each teacher embeds each crop:

    <shards>/teachers/<teacher>-<split>-crop<C>ms-hop<H>ms.npz
        clip_id [M] str, offset [M] int64 (samples), embedding float32 [M, dim]: one row per crop;
        failed_clip [F], failed_offset [F]: crops the teacher could not embed (left out);
        fingerprint (the shards'), teacher_key (its wheel and the source of its port),
        crop_samples, hop_samples, pool (the shard folder's corpus, for messages)

The computation is resumable: every `SAVE_EVERY` calls it writes what it has to `<file>.partial.npz`,
and a new start goes on from there. Crops are embedded in fixed blocks of `CROPS_PER_CALL` in a fixed
order (shards sorted, clips in file order, offsets ascending), so a resumed computation makes the
very calls an uninterrupted one makes and ends with the same file. A cache (or partial file) that is
truncated, or was computed on other clips, other crops or another teacher version, is named, said
why, and recomputed; a crop a teacher cannot embed (an error, or a non-finite output) is reported by
clip and offset, counted and left out.

`load_crop_targets` serves the teachers together as a `CropTargetTable`: only crops every teacher
embedded, each teacher standardised per dimension over the crops (as clip targets are over clips).
"""

import dataclasses
import hashlib
import inspect
import json
import os

import numpy as np

from zoo import audio_constants as ac
from zoo.errors import ZooError
from zoo.teachers import create_teacher, teacher_spec
from zoo.teachers.targets import _clips, _fingerprint, _load_npz, _save_npz

CROPS_PER_CALL = 32
SAVE_EVERY = 20                   # calls between partial saves (640 crops)
SAMPLE_RATE = ac.SAMPLE_RATE


def samples(seconds):
    """Seconds -> samples at the zoo's 16 kHz."""
    return int(round(seconds * SAMPLE_RATE))


def crop_offsets(samples, crop_samples, hop_samples):
    """Start samples of a clip's crops: 0, hop, 2 hop, ... while `start + crop <= samples`; [0] for a
    clip no longer than one crop (the pipeline zero-pads it)."""
    if samples <= crop_samples:
        return [0]
    return list(range(0, samples - crop_samples + 1, hop_samples))


def cache_path(shard_dir, name, split, crop_samples, hop_samples):
    ms = lambda samples: int(round(samples * 1000 / SAMPLE_RATE))       # noqa: E731
    return os.path.join(shard_dir, "teachers",
                        f"{name}-{split}-crop{ms(crop_samples)}ms-hop{ms(hop_samples)}ms.npz")


def teacher_key(teacher):
    """A teacher's version (a registered name, or a `Teacher`): its pinned wheel and the source of its
    port, so that an edit to either changes it."""
    import sys
    if isinstance(teacher, str):
        from zoo.teachers import _module
        module, spec = _module(teacher), teacher_spec(teacher)
    else:
        module, spec = sys.modules[type(teacher).__module__], teacher.spec
    text = json.dumps(dataclasses.asdict(spec), sort_keys=True) + inspect.getsource(module)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _identity(fingerprint, teacher, crop_samples, hop_samples):
    """What a cache file must record to serve these shards, this teacher version and these crops."""
    return {"fingerprint": fingerprint, "teacher_key": teacher_key(teacher), "crop_samples": crop_samples,
            "hop_samples": hop_samples}


def _stale_reason(cached, expected):
    """Why a cache file does not serve `expected` (a dict of the identity fields), or None."""
    try:
        got = {key: str(cached[key]) for key in expected}
    except KeyError as missing:
        return f"it lacks the field {missing} (written by another version of the zoo)"
    labels = {"fingerprint": "other clips (another pool, or the shards were rebuilt)",
              "teacher_key": "another teacher version (its wheel or its port changed)",
              "crop_samples": "other crops", "hop_samples": "other crops"}
    for key, value in expected.items():
        if got[key] != str(value):
            return f"it was computed on {labels[key]}: {key} {got[key]} where these are {value}"
    return None


def _read_valid(path, expected):
    """The arrays of the cache at `path` when it serves `expected`; None (with a message naming the
    file and why) when it is missing, truncated, unreadable or stale."""
    try:
        cached = _load_npz(path)
        if cached is None:
            return None
        with cached:
            arrays = {key: cached[key] for key in cached.files}
    except Exception as error:                                # noqa: BLE001 - any damage: recompute
        print(f"{path}: truncated or unreadable ({type(error).__name__}: {error}); recomputing", flush=True)
        return None
    reason = _stale_reason(arrays, expected)
    if reason:
        print(f"{path}: stale, {reason}; recomputing", flush=True)
        return None
    return arrays


def _crops(files, crop_samples, hop_samples):
    """(clip_id, offset, crop float32 [crop_samples] or None when the clip is empty or non-finite)."""
    for clip_id, waveform in _clips(files):
        if waveform.size == 0 or not np.all(np.isfinite(waveform)):
            yield clip_id, 0, None
            continue
        padded = np.pad(waveform, (0, max(crop_samples - waveform.size, 0)))
        for offset in crop_offsets(waveform.size, crop_samples, hop_samples):
            yield clip_id, offset, padded[offset:offset + crop_samples]


def _embed_block(teacher, block):
    """[(clip_id, offset, crop)] -> (kept [(clip_id, offset)], rows [k, dim], failed [(clip_id, offset, why)])."""
    usable = [item for item in block if item[2] is not None]
    failed = [(c, o, "empty or non-finite audio") for c, o, crop in block if crop is None]
    try:
        rows = np.asarray(teacher.embed_batch([crop for _, _, crop in usable]), np.float32) if usable else None
        results = list(zip(usable, rows)) if usable else []
    except Exception:                                         # noqa: BLE001 - retry crop by crop
        results = []
        for item in usable:
            try:
                results.append((item, np.asarray(teacher.embed(item[2]), np.float32)))
            except Exception as error:                        # noqa: BLE001
                failed.append((item[0], item[1], str(error)))
    kept, rows = [], []
    for (clip_id, offset, _), row in results:
        if np.all(np.isfinite(row)):
            kept.append((clip_id, offset))
            rows.append(row)
        else:
            failed.append((clip_id, offset, "non-finite embedding"))
    return kept, np.reshape(rows, (len(rows), teacher.spec.dim)).astype(np.float32), failed


def compute_crop_targets(shard_dir, name, split="train", crop_seconds=2.0, hop_seconds=0.5, teacher=None,
                         stop_after_calls=None):
    """Teacher `name`'s embedding of every crop of `split` (see module docstring), resumed from its
    partial file when one is there; returns the cache path. `stop_after_calls` (tests) stops after
    that many calls, leaving the partial file, as a killed run would."""
    from tqdm import tqdm
    crop, hop = samples(crop_seconds), samples(hop_seconds)
    if crop < 1 or hop < 1:
        raise ZooError(f"crop targets: crop_seconds ({crop_seconds}) and hop_seconds ({hop_seconds}) must be > 0")
    fingerprint, files = _fingerprint(shard_dir, split)
    teacher = teacher or create_teacher(name)
    expected = _identity(fingerprint, teacher, crop, hop)
    path = cache_path(shard_dir, name, split, crop, hop)
    partial = _read_valid(path + ".partial.npz", expected) or {}
    done = int(partial.get("done_crops", 0))
    ids, offsets = list(partial.get("clip_id", [])), list(partial.get("offset", []))
    rows = [partial["embedding"]] if "embedding" in partial else []
    failed = [(c, int(o), "") for c, o in zip(partial.get("failed_clip", []), partial.get("failed_offset", []))]
    if done:
        print(f"teacher {name}: resuming crop targets at crop {done} ({path}.partial.npz)", flush=True)

    def save(target, **extra):
        _save_npz(target, clip_id=np.asarray(ids, dtype=str), offset=np.asarray(offsets, np.int64),
                  embedding=(np.concatenate(rows) if rows else np.zeros((0, teacher.spec.dim), np.float32)),
                  failed_clip=np.asarray([f[0] for f in failed], dtype=str),
                  failed_offset=np.asarray([f[1] for f in failed], np.int64), pool=os.path.basename(
                      os.path.dirname(os.path.dirname(os.path.abspath(shard_dir)))), **expected, **extra)

    def embed(block):
        kept, got, bad = _embed_block(teacher, block)
        for clip_id, offset, why in bad:
            print(f"teacher {name}: skipped crop of clip {clip_id} at {offset / SAMPLE_RATE:.2f} s: {why}", flush=True)
        ids.extend(c for c, _ in kept)
        offsets.extend(o for _, o in kept)
        rows.append(got)
        failed.extend(bad)

    block, position, calls = [], 0, 0
    stream = tqdm(_crops(files, crop, hop), desc=f"teacher {name} crops", unit="crop", mininterval=5)
    for item in stream:
        position += 1
        if position <= done:
            continue
        block.append(item)
        if len(block) < CROPS_PER_CALL:
            continue
        embed(block)
        block, calls, done = [], calls + 1, position
        if calls % SAVE_EVERY == 0 or (stop_after_calls is not None and calls >= stop_after_calls):
            save(path + ".partial.npz", done_crops=done)
        if stop_after_calls is not None and calls >= stop_after_calls:
            return None
    if block:
        embed(block)
    if not ids:
        raise ZooError(f"teacher {name} embedded no crop of {shard_dir} ({len(failed)} failed)")
    save(path)
    if os.path.exists(path + ".partial.npz"):
        os.remove(path + ".partial.npz")
    print(f"teacher {name}: {len(ids)} crops embedded, {len(failed)} skipped -> {path}", flush=True)
    return path


def _name(teacher):
    return teacher if isinstance(teacher, str) else teacher.spec.name


def ensure_crop_targets(shard_dir, teachers, split="train", crop_seconds=2.0, hop_seconds=0.5):
    """Compute the crop targets of every teacher (a registered name, or a `Teacher`) whose cache is
    missing, damaged or stale."""
    crop, hop = samples(crop_seconds), samples(hop_seconds)
    fingerprint, _ = _fingerprint(shard_dir, split)
    for teacher in teachers:
        expected = _identity(fingerprint, teacher, crop, hop)
        if _read_valid(cache_path(shard_dir, _name(teacher), split, crop, hop), expected) is None:
            compute_crop_targets(shard_dir, _name(teacher), split, crop_seconds, hop_seconds,
                                 teacher=None if isinstance(teacher, str) else teacher)


@dataclasses.dataclass
class CropTargetTable:
    """Every crop's targets, grouped by clip: clip `i` (`clip_ids[i]`) owns rows `first_row[i]` to
    `first_row[i] + count[i]` of `values` float32 [M, sum of dims], whose crops start at `offsets`
    [M] (samples). `slices` {teacher: (start, stop)} into the columns; `left_out` {teacher: crops it
    could not embed}; `filled`: clips no teacher-complete crop was left of, served one crop at 0 with
    the teachers' mean target (zeros after standardising), as clip targets treat a skipped clip."""
    clip_ids: np.ndarray
    first_row: np.ndarray
    count: np.ndarray
    offsets: np.ndarray
    values: np.ndarray
    slices: dict
    crop_samples: int
    hop_samples: int
    left_out: dict
    filled: int


def load_crop_targets(shard_dir, teachers, split="train", crop_seconds=2.0, hop_seconds=0.5):
    """The crop targets of `teachers` (names or `Teacher`s; see `ensure_crop_targets`) as one
    `CropTargetTable`; a missing, damaged or stale cache is an error naming the file and why."""
    crop, hop = samples(crop_seconds), samples(hop_seconds)
    fingerprint, _ = _fingerprint(shard_dir, split)
    tables, all_clips = [], set()
    for teacher in teachers:
        name = _name(teacher)
        path = cache_path(shard_dir, name, split, crop, hop)
        expected = _identity(fingerprint, teacher, crop, hop)
        arrays = _read_valid(path, expected)
        if arrays is None:
            raise ZooError(f"no valid {name} crop targets at {path}; run ensure_crop_targets (hares-zoo pretrain "
                           "--objective=distill --targets=crops computes them)")
        keys = [f"{c}@{o}" for c, o in zip(arrays["clip_id"].astype(str), arrays["offset"])]
        tables.append((name, dict(zip(keys, range(len(keys)))), arrays["embedding"], len(arrays["failed_clip"])))
        all_clips |= set(arrays["clip_id"].astype(str)) | set(arrays["failed_clip"].astype(str))
    common = set.intersection(*(set(rows) for _, rows, _, _ in tables))
    by_clip = {}
    for key in common:
        clip_id, offset = key.rsplit("@", 1)
        by_clip.setdefault(clip_id, []).append(int(offset))
    clip_ids = np.asarray(sorted(all_clips))
    first, count, order, filled = [], [], [], 0
    for clip_id in clip_ids:
        crops = sorted(by_clip.get(clip_id, []))
        first.append(len(order))
        count.append(max(len(crops), 1))
        if not crops:
            filled += 1
        order.extend((clip_id, o) for o in crops or [None])
    columns, slices, start = [], {}, 0
    for name, rows, values, _ in tables:
        standard = (values - values.mean(0)) / (values.std(0) + 1e-6)
        out = np.zeros((len(order), values.shape[1]), np.float32)
        for i, (clip_id, offset) in enumerate(order):
            if offset is not None:
                out[i] = standard[rows[f"{clip_id}@{offset}"]]
        columns.append(out)
        slices[name] = (start, start + values.shape[1])
        start += values.shape[1]
    return CropTargetTable(clip_ids, np.asarray(first, np.int64), np.asarray(count, np.int64),
                           np.asarray([o or 0 for _, o in order], np.int64), np.concatenate(columns, axis=1),
                           slices, crop, hop, {name: n for name, _, _, n in tables}, filled)
