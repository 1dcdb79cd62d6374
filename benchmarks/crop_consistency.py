"""How consistent is each kind of distillation target with the audio the student hears?

For every teacher with both caches on a pool (`zoo.teachers.targets`: one embedding per whole clip;
`zoo.teachers.crop_targets`: one per 2-s crop), each standardised per dimension over its own rows
(as the student's targets are), it reports:

- **clip target against its crop**: the median cosine between a crop's own teacher embedding and
  the target the clip-target recipe gives it (its whole clip's), by clip length; and the share of
  the targets' variance that the crop's own embedding leaves unexplained by the best linear map
  (1 - R^2 of a least-squares fit with bias, the most a student's linear head could recover if the
  student reproduced the teacher exactly on its crop);
- **mixed crops**: the recipe mixes two crops `lam * a + (1 - lam) * b`, lam ~ Beta(5, 2), and
  mixes their targets by the same ratio; for `--mixes` random pairs the teacher embeds the mix
  itself, and the same two figures compare that with the mixed targets, with no fit (0 unexplained
  would mean mixing targets linearly is exact).

    python benchmarks/crop_consistency.py --teachers=resemblyzer,basic_pitch \
        --out=benchmarks/crop_consistency.json

Reads the pool of `hares-zoo prepare --corpus=open-audio` and the caches `hares-zoo pretrain
--objective=distill` writes (`--targets=clip` and `--targets=crops`).
"""

import json

import numpy as np
from absl import app, flags

FLAGS = flags.FLAGS
flags.DEFINE_list("teachers", ["resemblyzer", "basic_pitch"], "Teachers with both caches on the pool.")
flags.DEFINE_string("shards", None, "Shard folder (default: the open-audio pool in the cache).")
flags.DEFINE_float("crop_seconds", 2.0, "Crop length of the crop targets.")
flags.DEFINE_float("hop_seconds", 0.5, "Hop of the crop targets.")
flags.DEFINE_integer("mixes", 240, "Random crop pairs mixed and embedded by each teacher (0: skip).")
flags.DEFINE_integer("seed", 0, "Seed of the mixed pairs.")
flags.DEFINE_string("out", None, "Write the figures as JSON here.")


def _standard(rows, like=None):
    like = rows if like is None else like
    return (rows - like.mean(0)) / (like.std(0) + 1e-6)


def _cosine(a, b):
    return float(np.median(np.sum(a * b, 1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1) + 1e-12)))


def _figures(own, target, fit=True):
    """(median cosine, share of the target's variance unexplained) of `own` rows against `target`
    rows; with `fit`, the share after the best linear map from `own` to `target`."""
    predicted = own
    if fit:
        design = np.concatenate([own, np.ones((len(own), 1), own.dtype)], 1)
        predicted = design @ np.linalg.lstsq(design, target, rcond=None)[0]
    unexplained = np.sum((target - predicted) ** 2) / np.sum((target - target.mean(0)) ** 2)
    return _cosine(own, target), float(unexplained)


def main(argv):
    del argv
    from zoo.data.corpora.open_audio import pool_folder
    from zoo.data.pipeline import shard_files
    from zoo.teachers import create_teacher
    from zoo.teachers.crop_targets import SAMPLE_RATE, cache_path, samples
    from zoo.teachers.targets import _cache_path, _clips
    shards = FLAGS.shards or pool_folder()
    crop, hop = samples(FLAGS.crop_seconds), samples(FLAGS.hop_seconds)
    clips = dict(_clips(shard_files(shards, "train")))
    lengths = {c: w.size / SAMPLE_RATE for c, w in clips.items()}
    rng = np.random.default_rng(FLAGS.seed)
    report = {"crops_per_clip": None, "teachers": {}}
    for name in FLAGS.teachers:
        whole = np.load(_cache_path(shards, name, "train"))
        crops = np.load(cache_path(shards, name, "train", crop, hop))
        row_of = {c: i for i, c in enumerate(whole["clip_id"].astype(str))}
        crop_ids = crops["clip_id"].astype(str)
        keep = np.asarray([c in row_of for c in crop_ids])
        own = _standard(crops["embedding"][keep])
        target = _standard(whole["embedding"])[[row_of[c] for c in crop_ids[keep]]]
        long = np.asarray([lengths[c] >= 6.0 for c in crop_ids[keep]])
        figures = {"crops": int(keep.sum()), "all": _figures(own, target), "clips_of_6s_or_more": _figures(
            own[long], target[long]), "shorter_clips": _figures(own[~long], target[~long])}
        report["crops_per_clip"] = round(len(crop_ids) / len(set(crop_ids)), 2)
        if FLAGS.mixes:
            teacher = create_teacher(name)
            picks = rng.choice(len(crop_ids), (FLAGS.mixes, 2))
            lam = rng.beta(5, 2, FLAGS.mixes).astype(np.float32)
            audio = []
            for (a, b), weight in zip(picks, lam):
                pieces = [np.pad(clips[crop_ids[i]], (0, crop))[crops["offset"][i]:crops["offset"][i] + crop] for i in (a, b)]
                audio.append(weight * pieces[0] + (1 - weight) * pieces[1])
            embedded = _standard(teacher.embed_batch(audio), crops["embedding"])
            standard = _standard(crops["embedding"])
            mixed = lam[:, None] * standard[picks[:, 0]] + (1 - lam[:, None]) * standard[picks[:, 1]]
            figures["mixed_targets_against_the_mix"] = _figures(mixed, embedded, fit=False)
        report["teachers"][name] = figures
        print(f"{name}: {figures}", flush=True)
    print(json.dumps(report, indent=1))
    if FLAGS.out:
        with open(FLAGS.out, "w") as f:
            json.dump(report, f, indent=1)


if __name__ == "__main__":
    app.run(main)
