"""The Keras linear probe against scikit-learn's LogisticRegression on the same cached embeddings:
fit time and clip-level test accuracy per mini-HARES task (the `benchmarks` extra has scikit-learn).

    python benchmarks/probe_speed.py                          # logmel_conv_tiny embeddings
    python benchmarks/probe_speed.py --model=exports/sf_tiny --probe_steps=1500

Embeddings are computed once per task (not timed). Both probes see standardised features and are
scored the same way (sub-clip probabilities averaged per clip). LogisticRegression uses lbfgs with
`--max_iter` iterations and C=1 (its defaults apart from the iteration cap).
"""

import os
import time

from absl import app, flags

flags.DEFINE_string("model", "logmel_conv_tiny", "Registry name, .keras file or SavedModel folder.")
flags.DEFINE_enum("size", "default", ["tiny", "small", "default"], "mini-HARES size.")
flags.DEFINE_integer("probe_steps", 1500, "Keras probe steps (the zoo's default).")
flags.DEFINE_integer("max_iter", 1000, "LogisticRegression iterations.")
FLAGS = flags.FLAGS


def main(argv):
    del argv
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from zoo.cache import cache_dir
    from zoo.data.pipeline import evaluation_dataset
    from zoo.data.prepare import read_dataset_info
    from zoo.hares.embed import embed_dataset
    from zoo.hares.linear_probe import ProbeSettings, average_by_clip, fit_and_score
    from zoo.hares.mini import prepare_minihares
    from zoo.hares.models import load_probe_model
    from zoo.hares.tasks import resolve_tasks

    folders = prepare_minihares(cache_dir(f"mini-hares-{FLAGS.size}"), FLAGS.size, progress=False)
    model = load_probe_model(FLAGS.model)
    rows = []
    for task in resolve_tasks("mini"):
        classes = len(read_dataset_info(folders[task.name])["labels"])
        (tr_x, tr_y, _), (te_x, te_y, te_ids) = [
            embed_dataset(model, evaluation_dataset(folders[task.name], split, classes, task.train_crop_seconds))
            for split in ("train", "test")]
        start = time.perf_counter()
        keras_score = fit_and_score(tr_x, tr_y, te_x, te_y, te_ids, ProbeSettings(steps=FLAGS.probe_steps))
        keras_seconds = time.perf_counter() - start
        start = time.perf_counter()
        mean, std = tr_x.mean(0), tr_x.std(0) + 1e-6
        clf = LogisticRegression(max_iter=FLAGS.max_iter).fit((tr_x - mean) / std, tr_y.argmax(1))
        probs = np.zeros((len(te_x), classes))
        probs[:, clf.classes_] = clf.predict_proba((te_x - mean) / std)
        _, clip_probs = average_by_clip(te_ids, probs)
        _, clip_truth = average_by_clip(te_ids, te_y)
        sk_score = float(np.mean(clip_probs.argmax(1) == clip_truth.argmax(1)))
        sk_seconds = time.perf_counter() - start
        rows.append((task.name, len(tr_x), tr_x.shape[1], keras_seconds, keras_score, sk_seconds, sk_score))
        print(rows[-1], flush=True)
    print(f"\n{FLAGS.model} embeddings, mini-HARES {FLAGS.size}; Keras probe {FLAGS.probe_steps} steps at batch 64; "
          f"LogisticRegression lbfgs max_iter={FLAGS.max_iter}\n")
    print("| task | train rows | D | Keras fit (s) | Keras acc. | sklearn fit (s) | sklearn acc. |")
    print("|---|---|---|---|---|---|---|")
    for name, n, d, ks, ka, ss, sa in rows:
        print(f"| {name} | {n} | {d} | {ks:.2f} | {100 * ka:.1f} | {ss:.2f} | {100 * sa:.1f} |")
    totals = np.array([[r[3], r[4], r[5], r[6]] for r in rows])
    print(f"| **all** | | | {totals[:, 0].sum():.2f} | {100 * totals[:, 1].mean():.1f} | "
          f"{totals[:, 2].sum():.2f} | {100 * totals[:, 3].mean():.1f} |")


if __name__ == "__main__":
    app.run(main)
