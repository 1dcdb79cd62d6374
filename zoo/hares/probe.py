"""Score an encoder on HARES tasks whose data are TFRecord shards (one folder per task, written by
`hares-zoo prepare` with `train` and `test` splits), with each task's crop, evaluation rule and
metric from `zoo.hares.tasks`.

    data_dir/<task name>/{dataset_info.json, train-*.tfrecord, test-*.tfrecord}

Supported heads today: linear softmax (accuracy) and linear sigmoid (mAP). Tasks that need the
AudioSet MLP, Fluent Speech Commands' three slots or ESC-50's SVM sweep are refused with a message
rather than scored with a different protocol.
"""

import os

from tqdm import tqdm

from zoo.data.prepare import read_dataset_info
from zoo.errors import ZooError
from zoo.hares.linear_probe import ProbeSettings, fit_and_score

SUPPORTED_HEADS = ("linear",)


def find_task_folders(data_dir, tasks):
    """{task name: shard folder} under `data_dir`; a missing folder raises naming where it looked."""
    folders = {}
    for task in tasks:
        folder = os.path.join(os.fspath(data_dir), task.name)
        if not os.path.exists(os.path.join(folder, "dataset_info.json")):
            raise ZooError(f"HARES task {task.name} ({task.dataset}): no shards at {folder}; expected a folder "
                           f"written by `hares-zoo prepare --manifest=<{task.name} manifest> --out={folder}` "
                           "with train and test splits")
        folders[task.name] = folder
    return folders


def score_task(encoder, folder, task, settings=ProbeSettings(), batch_size=32):
    """Probe score (a fraction: accuracy or mAP) of a frozen `encoder` on one task's shards."""
    from zoo.data.pipeline import evaluation_dataset
    from zoo.hares.embed import embed_dataset
    if task.head not in SUPPORTED_HEADS or task.svm:
        raise ZooError(f"HARES task {task.name}: its protocol ({'SVM sweep' if task.svm else task.head + ' head'}) "
                       "is not implemented yet; score it with the other tasks left out")
    classes = len(read_dataset_info(folder)["labels"])
    data = {}
    for split in ("train", "test"):
        ds = evaluation_dataset(folder, split, classes, task.train_crop_seconds, batch_size)
        data[split] = embed_dataset(encoder, ds)
    (train_x, train_y, _), (test_x, test_y, test_ids) = data["train"], data["test"]
    return fit_and_score(train_x, train_y, test_x, test_y, test_ids, settings, multi_label=task.multi_label)


def score_tasks(encoder, folders, tasks, settings=ProbeSettings(), progress=True):
    """{task name: score} over `tasks` (HaresTask list) with data in `folders` {task name: folder}."""
    scores = {}
    name = getattr(encoder, "name", "model")
    for task in tqdm(tasks, desc=f"probe {name}", unit="task", disable=not progress):
        scores[task.name] = score_task(encoder, folders[task.name], task, settings)
    return scores
