"""mini-HARES end to end: corpus -> shards -> embeddings -> linear probe -> table."""

import os

import numpy as np
from tqdm import tqdm

from zoo.data import minihares
from zoo.data.prepare import prepare_shards, read_dataset_info
from zoo.hares.linear_probe import ProbeSettings, fit_and_score

DOMAINS = ("environment", "speech", "music")


def prepare_minihares(root, size="default", seed=0, workers=2, progress=True):
    """Generate the corpus under `root/audio` and shard every task and the pool under `root/shards`.

    Returns {task or "pool": shard folder}. Both steps are skipped when already done.
    """
    audio = os.path.join(root, "audio")
    minihares.generate(audio, size=size, seed=seed, workers=workers)
    folders = {}
    for name in minihares.TASK_NAMES + ("pool",):
        out = os.path.join(root, "shards", name)
        report = prepare_shards(os.path.join(audio, name, "manifest.csv"), out, workers=workers,
                                progress=progress)
        if report.skipped:
            raise RuntimeError(f"mini-HARES task {name}: {report.summary()}")
        folders[name] = out
    return folders


def score_minihares(encoder, shard_folders, tasks=minihares.TASK_NAMES, settings=ProbeSettings(),
                    batch_size=32, progress=True):
    """Linear-probe accuracy of a frozen `encoder` on each mini-HARES task: {task: accuracy}."""
    from zoo.data.pipeline import evaluation_dataset
    from zoo.hares.embed import embed_dataset

    scores = {}
    for name in tqdm(tasks, desc=f"probe {encoder.name}", unit="task", disable=not progress):
        task = minihares.get_task(name)
        info = read_dataset_info(shard_folders[name])
        classes = len(info["labels"])
        data = {}
        for split in ("train", "test"):
            ds = evaluation_dataset(shard_folders[name], split, classes, task.crop_seconds, batch_size)
            data[split] = embed_dataset(encoder, ds)
        (tr_x, tr_y, _), (te_x, te_y, te_ids) = data["train"], data["test"]
        scores[name] = fit_and_score(tr_x, tr_y, te_x, te_y, te_ids, settings)
    return scores


def summarize(scores):
    """Task scores (fractions) -> {"domains": {domain: mean %}, "mean": mean % over tasks}."""
    domains = {}
    for domain in DOMAINS:
        values = [100 * s for t, s in scores.items() if minihares.get_task(t).domain == domain]
        if values:
            domains[domain] = float(np.mean(values))
    return {"domains": domains, "mean": float(np.mean([100 * s for s in scores.values()]))}


def markdown_table(results):
    """{model name: {task: accuracy}} -> a Markdown table in %, with domain and overall means."""
    tasks = list(next(iter(results.values())))
    header = ["model"] + tasks + [f"{d[:3]}. avg" for d in DOMAINS] + ["mean"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for model, scores in results.items():
        summary = summarize(scores)
        cells = [f"{100 * scores[t]:.1f}" for t in tasks]
        cells += [f"{summary['domains'][d]:.1f}" if d in summary["domains"] else "-" for d in DOMAINS]
        lines.append("| " + " | ".join([model] + cells + [f"**{summary['mean']:.1f}**"]) + " |")
    return "\n".join(lines)
