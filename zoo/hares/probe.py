"""Score an encoder on HARES tasks whose data are TFRecord shards (one folder per task, written by
`hares-zoo prepare`), with each task's windows, head and metric from `zoo.hares.tasks`:

    data_dir/<task name>/{dataset_info.json, <split>-*.tfrecord}

- linear softmax (accuracy), linear sigmoid (mAP: MagnaTagATune), one hidden layer of 512
  (AudioSet, mAP), three slot heads (Fluent Speech Commands): `zoo.hares.linear_probe`, trained on
  the `train` split and scored on `test`;
- ESC-50: the SVM sweep over the folds `fold1`..`fold5` (`zoo.hares.svm`).

Embeddings are computed once per (encoder, task data, split, windows) and cached on disk
(`zoo.hares.embedding_cache`); training windows follow the task's crop (`full` tasks: the clip
from its start; others: consecutive sub-clips), test windows its evaluation rule.
"""

import dataclasses
import os

import numpy as np
from tqdm import tqdm

from zoo.data.prepare import read_dataset_info
from zoo.errors import ZooError
from zoo.hares import embedding_cache
from zoo.hares.linear_probe import ProbeSettings, fit_and_score


def has_task_data(data_dir, name):
    """Whether `data_dir/<name>/` holds shards written by `hares-zoo prepare`."""
    return os.path.exists(os.path.join(os.fspath(data_dir), name, "dataset_info.json"))


def find_task_folders(data_dir, tasks):
    """{task name: shard folder} under `data_dir`; a missing folder raises naming where it looked."""
    folders = {}
    for task in tasks:
        folder = os.path.join(os.fspath(data_dir), task.name)
        if not has_task_data(data_dir, task.name):
            how = (f"`hares-zoo prepare --task={task.name} --source=<its data set> --data_dir={data_dir}`"
                   if task.group == "hares" else f"`hares-zoo prepare --manifest=<{task.name} manifest> --out={folder}`")
            raise ZooError(f"HARES task {task.name} ({task.dataset}): no shards at {folder}; expected a folder "
                           f"written by {how}")
        folders[task.name] = folder
    return folders


def settings_for(task, settings):
    """`settings`, or with `settings.paper_protocol` the paper's counts for `task`: Adam, its batch and
    steps (64 x 400k; AudioSet 128 x 200k; MagnaTagATune 128 x 20k), peak 2e-4, a 5k-step warm-up and
    its augmented passes (ESC-50 and AudioSet: 10). Tasks the paper trains without augmentation get
    `augmented_passes` 0 whatever `settings` say."""
    if not task.paper_augmented_passes:
        settings = dataclasses.replace(settings, augmented_passes=0)
    if not settings.paper_protocol:
        return settings
    from zoo.hares.tasks import PAPER_PEAK_LEARNING_RATE, PAPER_WARMUP_STEPS
    return dataclasses.replace(settings, solver="adam", batch_size=task.paper_batch, steps=task.paper_steps,
                               peak_learning_rate=PAPER_PEAK_LEARNING_RATE,
                               warmup_fraction=PAPER_WARMUP_STEPS / task.paper_steps,
                               augmented_passes=task.paper_augmented_passes)


def split_embeddings(encoder, folder, task, split, rule, batch_size=32, cache=True, info=None,
                     augmented_passes=0, seed=0):
    """(embeddings `[n, D]`, multi-hot labels `[n, C]`, clip ids `[n]`) of one split's windows; with
    `augmented_passes` > 0, that many passes of example-mixed training windows (soft labels) instead."""
    from zoo.data.pipeline import evaluation_dataset, mixed_dataset
    from zoo.hares.embed import embed_dataset
    info = info or read_dataset_info(folder)
    seconds = task.eval_seconds if rule == task.eval_rule and task.eval_seconds else task.train_crop_seconds
    if cache and not augmented_passes and hasattr(encoder, "parts"):     # concat: each part from its own entry
        parts = [split_embeddings(p, folder, task, split, rule, batch_size, cache, info) for p in encoder.parts]
        for _, labels, ids in parts[1:]:
            if not (np.array_equal(labels, parts[0][1]) and np.array_equal(ids, parts[0][2])):
                raise ZooError(f"{encoder.name}: its parts embedded different {task.name} {split} windows")
        return np.concatenate([x for x, _, _ in parts], axis=-1).astype(np.float32), parts[0][1], parts[0][2]
    if cache and not getattr(encoder, "built", True):
        encoder(np.zeros((1, int(seconds * info.get("sample_rate", 16000))), np.float32))   # create the weights
    model_key = embedding_cache.encoder_key(encoder) if cache else None
    windows = f"{rule}+mixed{augmented_passes}/seed{seed}" if augmented_passes else rule
    path = model_key and embedding_cache.entry_path(model_key, info, split, windows, seconds)
    cached = embedding_cache.load(path) if path else None
    if cached is not None:
        return cached
    if augmented_passes:
        ds = mixed_dataset(folder, split, len(info["labels"]), seconds, batch_size, augmented_passes, seed, rule)
    else:
        ds = evaluation_dataset(folder, split, len(info["labels"]), seconds, batch_size, rule=rule)
    result = embed_dataset(encoder, ds)
    if path:
        embedding_cache.save(path, *result)
    return result


def score_task(encoder, folder, task, settings=ProbeSettings(), batch_size=32, cache=True, outcomes=None):
    """Probe score (a fraction: accuracy or mAP) of a frozen `encoder` on one task's shards. A dict
    `outcomes` receives `{task.name: intervals.TaskOutcomes}` (per test clip; accuracy tasks with a
    train/test split only)."""
    info = read_dataset_info(folder)
    train_rule = "full" if task.eval_rule == "full" else "subclips"
    settings = settings_for(task, settings)
    passes = settings.augmented_passes
    if task.svm:
        from zoo.hares.svm import svm_fold_sweep
        folds = sorted((s for s in info["splits"] if s.startswith("fold")), key=lambda s: int(s[4:] or 0))
        if len(folds) < 2:
            raise ZooError(f"HARES task {task.name}: the SVM protocol needs fold splits (fold1..fold5) in {folder}; "
                           f"found {list(info['splits'])}")
        embeddings = {f: split_embeddings(encoder, folder, task, f, task.eval_rule, batch_size, cache, info)
                      for f in folds}
        training = {f: split_embeddings(encoder, folder, task, f, train_rule, batch_size, cache, info, passes,
                                        settings.seed) for f in folds} if passes else None
        return svm_fold_sweep(embeddings, seed=settings.seed, train_folds=training)["score"]
    for split in ("train", "test"):
        if split not in info["splits"]:
            raise ZooError(f"HARES task {task.name}: no {split!r} split in {folder}; found {list(info['splits'])}")
    train_x, train_y, _ = split_embeddings(encoder, folder, task, "train", train_rule, batch_size, cache, info,
                                           passes, settings.seed)
    test_x, test_y, test_ids = split_embeddings(encoder, folder, task, "test", task.eval_rule, batch_size, cache, info)
    score, clip_outcomes = fit_and_score(train_x, train_y, test_x, test_y, test_ids, settings,
                                         multi_label=task.multi_label, head=task.head, label_names=info["labels"],
                                         with_outcomes=True)
    if outcomes is not None and clip_outcomes is not None:
        outcomes[task.name] = clip_outcomes
    return score


def score_tasks(encoder, folders, tasks, settings=ProbeSettings(), progress=True, cache=True, outcomes=None):
    """{task name: score} over `tasks` (HaresTask list) with data in `folders` {task name: folder};
    `outcomes` as in `score_task`."""
    scores = {}
    name = getattr(encoder, "name", "model")
    for task in tqdm(tasks, desc=f"probe {name}", unit="task", disable=not progress):
        scores[task.name] = score_task(encoder, folders[task.name], task, settings, cache=cache, outcomes=outcomes)
    return scores
