"""What a pretraining run's folder and its corpus say about it: the loss curve from its TensorBoard
logs, its wall-clock hours, and the corpus' hours and licences per package (each file's own)."""

import csv
import os

def training_curve(run_dir):
    """[(step, loss, wall time)] from the run's TensorBoard scalars (all resumed segments)."""
    import glob

    import tensorflow as tf
    points = {}
    for path in sorted(glob.glob(os.path.join(run_dir, "logs", "train", "events.out.tfevents.*"))):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                if value.tag == "loss":
                    number = value.simple_value if value.HasField("simple_value") else \
                        float(tf.make_ndarray(value.tensor))
                    points[event.step] = (event.step, number, event.wall_time)
    return [points[s] for s in sorted(points)]


def training_hours(curve, max_gap_seconds=300):
    """Wall-clock hours spent training: the sum of gaps between logged steps, leaving out gaps
    longer than `max_gap_seconds` (the pauses between resumed sittings)."""
    times = sorted(t for _, _, t in curve)
    return sum(b - a for a, b in zip(times, times[1:]) if b - a <= max_gap_seconds) / 3600


def corpus_facts(corpus_root):
    """Hours in the pool and per package, and licences (those of the package's files in the pool,
    each file's own), from the corpus' `provenance.csv`."""
    with open(os.path.join(corpus_root, "provenance.csv"), newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    packages = {}
    for row in rows:
        entry = packages.setdefault(row["package"], {"version": row["version"], "licence": row["licence"],
                                                     "files": 0, "hours": 0.0, "pool_hours": 0.0})
        entry["files"] += 1
        entry["hours"] += float(row["duration_s"]) / 3600
        if row["split"] == "pretrain":
            entry["pool_hours"] += float(row["duration_s"]) / 3600
        if row["split"] == "pretrain":
            entry.setdefault("pool_licences", set()).update(n.strip() for n in row["licence"].split(";"))
    for entry in packages.values():
        entry["hours"], entry["pool_hours"] = round(entry["hours"], 3), round(entry["pool_hours"], 3)
        entry["licence"] = "; ".join(sorted(entry.pop("pool_licences", set()))) or entry["licence"]
    return {"packages": packages, "pool_hours": round(sum(p["pool_hours"] for p in packages.values()), 3)}


def trained_corpus(packages):
    """The built-in pretraining corpus whose packages are `packages` (a card's corpus facts, keyed by
    package): "open-audio" or "open-audio-xl"; None for another set."""
    from zoo.data.corpora.sides import OPEN_AUDIO_PACKAGES, PRETRAIN_PACKAGES
    names = set(packages)
    if not names:
        return None
    return ("open-audio" if names <= set(OPEN_AUDIO_PACKAGES) else
            "open-audio-xl" if names <= set(PRETRAIN_PACKAGES) else None)
