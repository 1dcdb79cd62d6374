"""Manifest -> sharded TFRecords, in parallel, resumable, never stopped by one bad file.

    report = prepare_shards("data/manifest.csv", "shards/", clips_per_shard=256, workers=2)

- Decoding and resampling run in `workers` processes (they never import TensorFlow); the parent
  writes each shard to `NAME.tmp` and renames it when complete, then writes `NAME.json` (clip count
  and skipped files). On a rerun, shards with a `NAME.json` are kept as they are: an interrupted job
  resumes where it stopped.
- A missing, empty, corrupt or non-finite file is reported (name and problem), counted and skipped.
- `dataset_info.json` holds the label vocabulary, the splits with their shard and clip counts, the
  sample rate and a fingerprint of the manifest; a rerun on a different manifest is refused.
"""

import collections
import concurrent.futures
import dataclasses
import hashlib
import json
import multiprocessing
import os

from tqdm import tqdm

from zoo import audio_constants as ac
from zoo.data.audio_io import read_audio, to_int16
from zoo.data.manifest import label_vocabulary, read_manifest
from zoo.errors import AudioFileError, ConfigError, ZooError

INFO_FILE = "dataset_info.json"


@dataclasses.dataclass
class PrepareReport:
    written: int          # clips in the shards (kept ones included)
    skipped: list         # [(clip path, problem)] over all shards
    shards: int
    resumed_shards: int   # shards that were already complete and kept

    def summary(self):
        lines = [f"{self.written} clips in {self.shards} shards "
                 f"({self.resumed_shards} kept from an earlier run); {len(self.skipped)} skipped"]
        lines += [f"  skipped {path}: {problem}" for path, problem in self.skipped]
        return "\n".join(lines)


def _decode(job):
    """Worker: (row fields) -> (int16 bytes, None) or (None, problem)."""
    path, start, end, sample_rate = job
    try:
        return to_int16(read_audio(path, sample_rate, start, end)), None
    except AudioFileError as error:
        return None, error.problem
    except Exception as error:  # a decoder crash on one file must not end the job
        return None, f"unexpected error: {error!r}"


def _fingerprint(rows):
    digest = hashlib.sha256()
    for r in rows:
        digest.update(repr((r.relative_path, r.labels, r.split, r.start, r.end)).encode())
    return digest.hexdigest()[:16]


def clip_set_fingerprint(rows, sample_rate):
    """A fingerprint of which clips (paths, labels, splits, segments) at which sample rate, whatever
    their order: shards re-written in another order keep it, and so do the teacher targets cached
    beside them (`zoo.teachers.targets`)."""
    digest = hashlib.sha256(str(int(sample_rate)).encode())
    for key in sorted(repr((r.relative_path, r.labels, r.split, r.start, r.end)) for r in rows):
        digest.update(key.encode())
    return digest.hexdigest()[:16]


def _fingerprint_vocab(vocab):
    return "-" + hashlib.sha256("\n".join(vocab).encode()).hexdigest()[:8]


def plan_shards(rows, clips_per_shard, shuffle_seed=None):
    """{shard file name: [rows]}, splits in first-seen order, rows in manifest order, or with
    `shuffle_seed` (an int) permuted within each split by that seed: each shard then holds a
    sample of the whole split, not a run of neighbouring manifest rows (one source, one folder), so
    a worker that reads every N-th shard, or a pipeline that reads four shards at a time, sees the
    whole mix. The same seed gives the same plan, so an interrupted job resumes."""
    from zoo.data.tfrecords import shard_name
    by_split = collections.OrderedDict()
    for row in rows:
        by_split.setdefault(row.split, []).append(row)
    plan = collections.OrderedDict()
    for split, split_rows in by_split.items():
        if shuffle_seed is not None:
            import numpy as np
            order = np.random.default_rng([int(shuffle_seed), len(split_rows)]).permutation(len(split_rows))
            split_rows = [split_rows[i] for i in order]
        count = (len(split_rows) + clips_per_shard - 1) // clips_per_shard
        for i in range(count):
            plan[shard_name(split, i, count)] = split_rows[i * clips_per_shard:(i + 1) * clips_per_shard]
    return plan


def write_dataset_info(out_dir, vocabulary, splits, sample_rate, fingerprint, manifest_clips, skipped, complete,
                       source=None, clip_set=None):
    """The one writer of `dataset_info.json`: the label vocabulary, {split: {"shards", "clips"}}, the
    sample rate, the source's fingerprint, how many clips the source listed, the skipped
    [clip, problem] pairs, whether every shard is written, and (when given) `source`: where the
    clips come from, e.g. {"corpus": "cross-source", "side": "probe", "packages": [...]}; shards
    whose source says `"side": "probe"` are refused by pretraining; `clip_set`, the clips' order-free
    fingerprint (`clip_set_fingerprint`)."""
    info = {"labels": list(vocabulary), "splits": splits, "sample_rate": sample_rate,
            "manifest_fingerprint": fingerprint, "manifest_clips": manifest_clips,
            "skipped": [list(s) for s in skipped], "complete": bool(complete)}
    if source is not None:
        info["source"] = dict(source)
    if clip_set is not None:
        info["clip_set_fingerprint"] = clip_set
    write_text(os.path.join(out_dir, INFO_FILE), json.dumps(info, indent=1))
    return info


def write_text(path, text):
    """Write a small file on any TensorFlow filesystem, atomically: a temporary file renamed over
    `path` (also because TensorFlow's ram:// filesystem appends when a file is opened again with "w")."""
    import tensorflow as tf
    with tf.io.gfile.GFile(path + ".tmp", "w") as f:
        f.write(text)
    tf.io.gfile.rename(path + ".tmp", path, overwrite=True)


class ShardWriter:
    """The one TFRecord shard writer: `open(name)` starts `out_dir/name.tmp`, `write(...)` appends an
    example, `close()` renames the finished file to `name` (a shard is never seen half-written)."""

    def __init__(self, out_dir, vocabulary, sample_rate):
        from zoo.data.tfrecords import encode_example     # TensorFlow: the parent process only
        self._encode = encode_example
        self.out_dir, self.sample_rate = out_dir, sample_rate
        self.index = {label: i for i, label in enumerate(vocabulary)}
        self._writer, self._name = None, None

    def open(self, name):
        import tensorflow as tf
        self.close()
        self._name = name
        self._writer = tf.io.TFRecordWriter(os.path.join(self.out_dir, name + ".tmp"))

    def write(self, pcm, labels, clip_id):
        """`pcm`: int16 samples at `sample_rate`; `labels`: a tuple of vocabulary labels."""
        self._writer.write(self._encode(pcm, self.sample_rate, labels, [self.index[l] for l in labels], clip_id))

    def close(self):
        if self._writer is not None:
            self._writer.close()
            import tensorflow as tf
            tf.io.gfile.rename(os.path.join(self.out_dir, self._name + ".tmp"), os.path.join(self.out_dir, self._name),
                               overwrite=True)
            self._writer, self._name = None, None


def _planned_splits(plan, done):
    splits = collections.OrderedDict()
    for name, shard_rows in plan.items():
        entry = splits.setdefault(shard_rows[0].split, {"shards": [], "clips": 0})
        entry["shards"].append(name)
        entry["clips"] += done.get(name, {}).get("clips", 0)
    return splits


def _write_planned_info(out_dir, rows, vocab, plan, fingerprint, sample_rate, done, source):
    skipped = [s for name in plan if name in done for s in done[name]["skipped"]]
    write_dataset_info(out_dir, vocab, _planned_splits(plan, done), sample_rate, fingerprint, len(rows),
                       skipped, complete=all(name in done for name in plan), source=source,
                       clip_set=clip_set_fingerprint(rows, sample_rate))


TEACHERS_FOLDER = "teachers"        # teacher targets cached beside the shards (zoo.teachers.targets)


def _replace_folder_keeping(out_dir, keep):
    """Empty `out_dir` for a rebuild, except its subfolder `keep` (teacher targets are keyed by clip,
    not by shard, and are checked against the new shards when next used)."""
    import tensorflow as tf
    gfile = tf.io.gfile
    kept = os.path.join(out_dir, keep)
    for name in gfile.listdir(out_dir):
        path = os.path.join(out_dir, name.rstrip("/"))
        if path == kept:
            continue
        if gfile.isdir(path):
            gfile.rmtree(path)
        else:
            gfile.remove(path)


def prepare_shards(manifest, out_dir, clips_per_shard=256, workers=2, sample_rate=ac.SAMPLE_RATE,
                   progress=True, replace_stale=False, vocabulary=None, source=None, shuffle_seed=None):
    """Convert `manifest` (a CSV path, see `zoo.data.manifest`, or a list of `ManifestRow`, as the
    HARES data-set adapters build) to TFRecord shards in `out_dir`; returns a `PrepareReport`.

    `vocabulary` fixes the label list and its order (a data set's published classes, present in the
    local copy or not); by default it is the sorted labels of the rows. Shards of a different
    manifest or sample rate in `out_dir` are refused, or with `replace_stale` deleted and rebuilt
    (a built-in corpus whose file list changed). `source` is recorded in `dataset_info.json` (see
    `write_dataset_info`). `shuffle_seed` (an int; None keeps manifest order) shuffles the clips
    within each split before they are cut into shards (see `plan_shards`); the seed is part of the
    fingerprint, so shards written in another order are stale."""
    if clips_per_shard < 1 or workers < 1:
        raise ConfigError(f"clips_per_shard and workers must be >= 1; got {clips_per_shard}, {workers}")
    rows = list(manifest) if isinstance(manifest, (list, tuple)) else read_manifest(manifest)
    if not rows:
        raise ZooError(f"no clips to write into {out_dir}")
    vocab = list(vocabulary) if vocabulary is not None else label_vocabulary(rows)
    unknown = sorted({label for row in rows for label in row.labels} - set(vocab))
    if unknown:
        raise ZooError(f"labels {unknown[:5]} of the clips are not in the vocabulary of {len(vocab)} labels")
    fingerprint = (_fingerprint(rows) + ("" if vocabulary is None else _fingerprint_vocab(vocab))
                   + ("" if shuffle_seed is None else f"-shuffled{int(shuffle_seed)}"))
    import tensorflow as tf
    gfile = tf.io.gfile             # shards on any TensorFlow filesystem: local, gs://, ram://
    gfile.makedirs(out_dir)
    info_path = os.path.join(out_dir, INFO_FILE)
    if gfile.exists(info_path):
        with gfile.GFile(info_path) as f:
            old = json.loads(f.read())
        stale = old.get("manifest_fingerprint") != fingerprint or old.get("sample_rate") != sample_rate
        if stale and replace_stale:
            _replace_folder_keeping(out_dir, TEACHERS_FOLDER)
        elif stale:
            raise ZooError(
                f"{out_dir} holds shards of a different manifest, clip order (--shuffle_seed) or sample rate; "
                "choose an empty output folder (or delete it) to start over")
    plan = plan_shards(rows, clips_per_shard, shuffle_seed)
    done = {}
    for name in plan:
        marker = os.path.join(out_dir, name + ".json")
        if gfile.exists(marker) and gfile.exists(os.path.join(out_dir, name)):
            with gfile.GFile(marker) as f:
                done[name] = json.loads(f.read())
    resumed = len(done)
    _write_planned_info(out_dir, rows, vocab, plan, fingerprint, sample_rate, done, source)
    todo = [name for name in plan if name not in done]
    total = sum(len(plan[n]) for n in todo)
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool, \
            tqdm(total=total, unit="clip", desc="prepare", disable=not progress or not total) as bar:
        shards = ShardWriter(out_dir, vocab, sample_rate)
        for name in todo:
            shard_rows = plan[name]
            jobs = [(r.path, r.start, r.end, sample_rate) for r in shard_rows]
            clips, skipped = 0, []
            shards.open(name)
            for row, (pcm, problem) in zip(shard_rows, pool.map(_decode, jobs, chunksize=4)):
                bar.update(1)
                if problem is not None:
                    skipped.append([row.relative_path, problem])
                    bar.write(f"skipped {row.relative_path}: {problem}")
                    continue
                shards.write(pcm, row.labels, row.clip_id)
                clips += 1
            shards.close()
            done[name] = {"clips": clips, "skipped": skipped}
            write_text(os.path.join(out_dir, name + ".json"), json.dumps(done[name]))
    _write_planned_info(out_dir, rows, vocab, plan, fingerprint, sample_rate, done, source)
    skipped = [tuple(s) for name in plan for s in done[name]["skipped"]]
    return PrepareReport(sum(d["clips"] for d in done.values()), skipped, len(plan), resumed)


def read_dataset_info(shard_dir):
    """The `dataset_info.json` of a shard folder (any TensorFlow filesystem: local, gs://, ram://),
    with a clear error when it is missing."""
    import tensorflow as tf
    path = os.path.join(shard_dir, INFO_FILE)
    if not tf.io.gfile.exists(path):
        raise ZooError(f"{shard_dir} has no {INFO_FILE}: not a folder written by `hares-zoo prepare`")
    with tf.io.gfile.GFile(path) as f:
        return json.loads(f.read())


def write_example_shards(examples, out_dir, vocabulary, fingerprint, clips_per_shard=256,
                         sample_rate=ac.SAMPLE_RATE, progress=True, total=None):
    """Shards from decoded audio rather than files (TFDS data sets); returns a `PrepareReport`.

    `examples` yields `(split, waveform float [samples] at sample_rate, labels tuple, clip_id)`,
    grouped by split. A waveform with NaN/Inf samples or no samples is reported and skipped. The
    folder is complete only when `dataset_info.json` says so for `fingerprint` (the source's
    identity): a rerun of a finished job returns at once, an interrupted one starts over.
    """
    import numpy as np
    import tensorflow as tf
    from zoo.data.tfrecords import shard_name
    gfile = tf.io.gfile

    info_path = os.path.join(out_dir, INFO_FILE)
    if gfile.exists(info_path):
        info = read_dataset_info(out_dir)
        if info.get("manifest_fingerprint") == fingerprint and info.get("complete"):
            counts = {s: v["clips"] for s, v in info["splits"].items()}
            return PrepareReport(sum(counts.values()), [tuple(s) for s in info.get("skipped", [])],
                                 sum(len(v["shards"]) for v in info["splits"].values()), 0)
    if gfile.exists(out_dir):
        gfile.rmtree(out_dir)
    gfile.makedirs(out_dir)
    shards = ShardWriter(out_dir, vocabulary, sample_rate)
    splits, skipped, current = collections.OrderedDict(), [], None

    def close_split():
        """Shards are named `split-i-of-count` once the split's count is known."""
        shards.close()
        if current is None:
            return
        entry = splits[current]
        names = [shard_name(current, i, len(entry["shards"])) for i in range(len(entry["shards"]))]
        for provisional, name in zip(entry["shards"], names):
            gfile.rename(os.path.join(out_dir, provisional), os.path.join(out_dir, name), overwrite=True)
        entry["shards"] = names

    with tqdm(total=total, unit="clip", desc="prepare", disable=not progress) as bar:
        for split, waveform, labels, clip_id in examples:
            bar.update(1)
            if split != current:
                if split in splits:
                    raise ZooError(f"examples of split {split!r} are not grouped together")
                close_split()
                current = split
                splits[split] = {"shards": [], "clips": 0}
            waveform = np.asarray(waveform, np.float32).reshape(-1)
            if waveform.size == 0 or not np.all(np.isfinite(waveform)):
                problem = "no samples" if waveform.size == 0 else "NaN or Inf samples"
                skipped.append([clip_id, problem])
                bar.write(f"skipped {clip_id}: {problem}")
                continue
            entry = splits[split]
            if entry["clips"] % clips_per_shard == 0:
                entry["shards"].append(f"{split}-{len(entry['shards']):05d}.part")
                shards.open(entry["shards"][-1])
            shards.write(to_int16(waveform), labels, clip_id)
            entry["clips"] += 1
        close_split()
    if not splits:
        raise ZooError(f"no examples to write into {out_dir}")
    written = sum(v["clips"] for v in splits.values())
    write_dataset_info(out_dir, vocabulary, splits, sample_rate, fingerprint, written, skipped, complete=True)
    return PrepareReport(written, [tuple(s) for s in skipped], sum(len(v["shards"]) for v in splits.values()), 0)
