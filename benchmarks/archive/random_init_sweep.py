"""Which CPU-sized architectures already match pooled log-mel statistics at random initialisation?

Scores random-init encoders (seed 0, no training) of each family at several widths, early strides,
mel resolutions and poolings on the cross-source suite (docs/cross-source.md), beside `logmel`
and `logmel_stats`, with the probe `hares-zoo probe` uses by default. A network that starts below
the statistics floor has to learn its way back to it before pretraining can add anything, so this
is the first lever to pull (docs/experiments/levers-1-11.md, "Levers").

    hares-zoo prepare --corpus=cross-source
    python benchmarks/archive/random_init_sweep.py                       # every point, ~15 min on 2 cores
    python benchmarks/archive/random_init_sweep.py --points=sf_tiny,sf_tiny_mean_std
    python benchmarks/archive/random_init_sweep.py --table_only              # the table again from the .json

Writes benchmarks/archive/random_init_sweep.{json,md} (--out).
"""

import copy
import json
import os
import sys

from absl import app, flags

FLAGS = flags.FLAGS
flags.DEFINE_list("points", None, "Sweep points to run (default: all of POINTS).")
flags.DEFINE_string("out", os.path.join(os.path.dirname(os.path.abspath(__file__)), "random_init_sweep"),
                    "Output path without extension: .json and .md are written.")
flags.DEFINE_integer("seed", 0, "Random-init seed.")
flags.DEFINE_bool("table_only", False, "Only rewrite the .md table from the .json results.")


def _slowfast(scale=1, stem_time=2, stem_freq=2):
    """A Slowfast row from the tiny one: widths x `scale`, the first stem conv's stride (time, freq)."""
    from zoo.encoders.nfnet.variants import SLOWFAST
    row = copy.deepcopy(SLOWFAST["tiny"])
    for path in ("slow", "fast"):
        row[path]["widths"] = [int(w * scale) for w in row[path]["widths"]]
        row[path]["stem_strides"][0] = [stem_time, stem_freq]
    row["fusion_channels"] = [int(c * scale) for c in row["fusion_channels"]]
    return row


# name: (registry name, overrides, what it changes)
POINTS = {
    "sf_tiny": ("nf_slowfast_tiny", {}, "the published default's twin"),
    "sf_tiny_mean_max": ("nf_slowfast_tiny", {"pooling": "mean_max"}, "pooling: mean + max over time (BYOL-A)"),
    "sf_tiny_mean_std": ("nf_slowfast_tiny", {"pooling": "mean_std"}, "pooling: mean and std over time"),
    "sf_tiny_stem_t1": ("nf_slowfast_tiny", {"variant": _slowfast(stem_time=1)}, "first stem stride (1, 2): 2x time resolution"),
    "sf_tiny_stem_f1": ("nf_slowfast_tiny", {"variant": _slowfast(stem_freq=1)}, "first stem stride (2, 1): 2x mel resolution"),
    "sf_tiny_mels128": ("nf_slowfast_tiny", {"n_mels": 128}, "128 mel bands"),
    "sf_tiny_stem_11": ("nf_slowfast_tiny", {"variant": "tiny_fine"},
                        "first stem stride (1, 1): 2x time and mel resolution (variant tiny_fine)"),
    "sf_tiny_stem_11_mean_std": ("nf_slowfast_tiny", {"variant": "tiny_fine", "pooling": "mean_std"},
                                 "tiny_fine, mean and std"),
    "sf_tiny_fine_mean_absdev": ("nf_slowfast_tiny", {"variant": "tiny_fine", "pooling": "mean_absdev"},
                                 "tiny_fine, mean and mean absolute deviation (exportable)"),
    "sf_wide": ("nf_slowfast_tiny", {"variant": _slowfast(scale=2)}, "widths x 2"),
    "sf_wide_mean_std": ("nf_slowfast_tiny", {"variant": _slowfast(scale=2), "pooling": "mean_std"},
                         "widths x 2, mean and std"),
    "sf_wide_stem_11_mean_std": ("nf_slowfast_tiny", {"variant": _slowfast(scale=2, stem_time=1, stem_freq=1),
                                                      "pooling": "mean_std"}, "widths x 2, stem stride (1, 1), mean and std"),
    "effnet_tiny": ("efficientnet_tiny", {}, "twin of the published EfficientNet"),
    "effnet_w05": ("efficientnet_tiny", {"width_coefficient": 0.5}, "width coefficient 0.5"),
    "vit_micro": ("vit_micro", {}, "twin of the published ViT"),
    "vit_micro_p8": ("vit_micro", {"patch_size": (8, 8)}, "8x8 patches"),
    "sincnet": ("sincnet", {}, "twin of the published SincNet"),
    "logmel": ("logmel", {}, "time-averaged log-mel (no weights)"),
    "logmel_stats": ("logmel_stats", {}, "log-mel mean + std (no weights)"),
}


def main(argv):
    del argv
    import keras

    import zoo
    from zoo.data.corpora.cross_source import shard_folders
    from zoo.hares.linear_probe import ProbeSettings
    from zoo.hares.probe import score_tasks
    from zoo.hares.report import summarize
    from zoo.hares.tasks import get_task, list_tasks
    if not FLAGS.table_only:
        found, _ = shard_folders()
        tasks = [get_task(t) for t in list_tasks("cross-source") if t in found]
    names = [] if FLAGS.table_only else FLAGS.points or list(POINTS)
    unknown = [n for n in names if n not in POINTS]
    if unknown:
        sys.exit(f"unknown sweep point(s) {unknown}; known: {', '.join(POINTS)}")
    results = {}
    if os.path.exists(FLAGS.out + ".json"):
        with open(FLAGS.out + ".json") as f:
            results = json.load(f)["points"]
    for name in names:
        registry_name, overrides, what = POINTS[name]
        keras.utils.set_random_seed(FLAGS.seed)
        encoder = zoo.create_encoder(registry_name, **overrides)
        scores = score_tasks(encoder, found, tasks, ProbeSettings(seed=FLAGS.seed))
        summary = summarize(scores, "cross-source")
        domains = summary["domains"]
        results[name] = {"encoder": registry_name, "what": what, "parameters": int(encoder.count_params()),
                         "embedding_size": int(encoder.embedding_size), "tasks": scores, "domains": domains,
                         "mean": summary["score"]}
        print(f"{name:<18} mean {results[name]['mean']:.1f}  " +
              "  ".join(f"{d} {v:.1f}" for d, v in domains.items()), flush=True)
        with open(FLAGS.out + ".json", "w") as f:
            json.dump({"suite": "cross-source", "seed": FLAGS.seed, "points": results}, f, indent=1)
    lines = ["| point | encoder | what changes | params | dim | speech | environment | music | mean |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name in [n for n in POINTS if n in results]:
        r, d = results[name], results[name]["domains"]
        lines.append(f"| {name} | {r['encoder']} | {r['what']} | {r['parameters']:,} | {r['embedding_size']} | "
                     f"{d.get('speech', float('nan')):.1f} | {d.get('environment', float('nan')):.1f} | "
                     f"{d.get('music', float('nan')):.1f} | **{r['mean']:.1f}** |")
    with open(FLAGS.out + ".md", "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    app.run(main)
