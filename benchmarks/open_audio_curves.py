"""Learning curves of open-audio pretraining runs: training loss and linear-probe accuracy against step.

    python benchmarks/open_audio_curves.py --runs=runs/nf_slowfast_tiny-simclr,runs/nf_slowfast_tiny-byol

For each run (a `hares-zoo pretrain --snapshot_every=N` folder): the loss from its TensorBoard
scalars, and the mean open-audio probe accuracy of each snapshot in `snapshots/` plus step 0 (a
random-initialisation twin: the run's encoder config with fresh weights) and the final encoder.
Writes `--out` (PNG, two panels) and `--out` with `.json` (the numbers), and prints a table.
"""

import glob
import json
import os
import re

from absl import app, flags

flags.DEFINE_list("runs", None, "Pretraining run folders (with snapshots/). Required.")
flags.DEFINE_string("out", os.path.join(os.path.dirname(os.path.abspath(__file__)), "open_audio_curves.png"),
                    "PNG to write (and the same name with .json).")
flags.DEFINE_integer("probe_steps", 1500, "Linear-probe steps per task.")
flags.DEFINE_float("probe_learning_rate", 1e-3, "Probe peak learning rate (the figures in the README: 1e-3).")
flags.DEFINE_integer("every", 1, "Probe every N-th snapshot only (the final encoder is always probed).")
flags.mark_flag_as_required("runs")
FLAGS = flags.FLAGS


def main(argv):
    del argv
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import zoo
    from zoo.workflows.run_facts import training_curve
    from zoo.workflows.scoring import score_models
    from zoo.hares.linear_probe import ProbeSettings

    settings = ProbeSettings(steps=FLAGS.probe_steps, peak_learning_rate=FLAGS.probe_learning_rate)
    results = {}
    for run in FLAGS.runs:
        with open(os.path.join(run, "pretrain_config.json")) as f:
            config = json.load(f)
        zoo.registry.get_spec(config["encoder"])
        label = f"{config['encoder']} {config['objective']}"
        final = keras.saving.load_model(os.path.join(run, "encoder.keras"), compile=False)
        keras.utils.set_random_seed(config.get("seed", 0))
        models = {0: type(final).from_config(final.get_config())}
        snapshots = sorted(glob.glob(os.path.join(run, "snapshots", "encoder-step*.keras")))
        for path in snapshots[FLAGS.every - 1::FLAGS.every]:
            models[int(re.search(r"step(\d+)", path).group(1))] = keras.saving.load_model(path, compile=False)
        models[config["completed_steps"]] = final
        accuracy = {}
        for step, model in sorted(models.items()):
            scores = score_models({"m": model}, ("open-audio",), settings=settings)["m"]["open-audio"]
            accuracy[step] = 100 * sum(scores.values()) / len(scores)
            print(f"{label} step {step}: open-audio mean probe accuracy {accuracy[step]:.1f}", flush=True)
        curve = training_curve(run)
        results[label] = {"loss": [(s, l) for s, l, _ in curve], "probe_accuracy": sorted(accuracy.items())}
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for label, entry in results.items():
        steps, losses = zip(*entry["loss"])
        left.plot(steps, losses, label=label)
        steps, accs = zip(*entry["probe_accuracy"])
        right.plot(steps, accs, marker="o", label=label)
    left.set(title="pretraining loss (open-audio pool; Keras running mean)", xlabel="step", ylabel="loss")
    right.set(title="open-audio suite: mean linear-probe accuracy", xlabel="step", ylabel="accuracy (%)")
    for axis in (left, right):
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(FLAGS.out, dpi=110)
    with open(os.path.splitext(FLAGS.out)[0] + ".json", "w") as f:
        json.dump(results, f, indent=1)
    print("\n| run | open-audio mean probe accuracy (%) at step |\n|---|---|")
    for label, entry in results.items():
        print(f"| {label} | " + ", ".join(f"{s}: {a:.1f}" for s, a in entry["probe_accuracy"]) + " |")
    print(f"\nwrote {FLAGS.out}")


if __name__ == "__main__":
    app.run(main)
