"""mini-HARES end to end: corpus -> shards -> embeddings -> linear probe -> table."""

import os

from zoo.data import minihares
from zoo.data.prepare import prepare_shards
from zoo.errors import ZooError
from zoo.hares.linear_probe import ProbeSettings
from zoo.hares.report import markdown_table, summarize  # noqa: F401 (re-exported)


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
            raise ZooError(f"mini-HARES task {name}: {report.summary()}")
        folders[name] = out
    return folders


def score_minihares(encoder, shard_folders, tasks=minihares.TASK_NAMES, settings=ProbeSettings(), progress=True):
    """Linear-probe accuracy of a frozen `encoder` on each mini-HARES task: {task: accuracy}."""
    from zoo.hares.probe import score_tasks
    from zoo.hares.tasks import get_task
    return score_tasks(encoder, shard_folders, [get_task(t) for t in tasks], settings, progress)
