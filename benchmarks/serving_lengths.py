"""What a new clip length costs through `hub.load`: for each encoder, the SavedModel is called at
several lengths it has not seen, `--step_samples` apart from `--seconds` upwards (the default, 0.1 s,
gives every length new frame counts in every layer), twice each: the first call at a length against
the second at the same length. Their ratio says whether anything is compiled or specialised per
input shape (1.0: nothing is): a trace, an XLA compile, or a kernel's per-shape set-up (oneDNN,
TensorFlow's default CPU kernels on x86, creates its convolution primitives per shape; run again
with `TF_ENABLE_ONEDNN_OPTS=0` in the environment to see TensorFlow's own kernels).

    python benchmarks/serving_lengths.py                                  # tiny encoders + published
    python benchmarks/serving_lengths.py --encoders=nf_slowfast_tiny --published= --seconds=2.0
    TF_ENABLE_ONEDNN_OPTS=0 python benchmarks/serving_lengths.py --out=/tmp/lengths_eigen.json

Registry encoders are exported at random initialisation into a temporary folder (SavedModel only);
published ones are loaded from the package. Prints a Markdown table; `--out` also writes it as JSON.
"""

import os
import statistics
import tempfile
import time

from absl import app, flags

from costing import write_table

flags.DEFINE_list("encoders", ["logmel_conv_tiny", "nf_slowfast_tiny", "nfnet_tiny", "efficientnet_tiny",
                               "vit_micro", "sincnet"], "Registry encoders to export and time.")
flags.DEFINE_list("published", ["nf_slowfast_tiny_fine_std-simclr-open-audio", "nf_slowfast_tiny_fine_std-simclr-open-audio"],
                  "Published encoders to time as shipped.")
flags.DEFINE_float("seconds", 2.0, "The repeated clip length in seconds.")
flags.DEFINE_integer("new_lengths", 5, "How many unseen lengths to time.")
flags.DEFINE_integer("step_samples", 1600, "Samples between the unseen lengths (1600: 0.1 s, 10 new frames; a "
                     "step shorter than the frontend's 160-sample hop may leave every shape in the graph as it was).")
flags.DEFINE_integer("threads", 2, "TensorFlow threads.")
flags.DEFINE_string("out", None, "Optional JSON file for the rows.")
FLAGS = flags.FLAGS


def _timed(fn, waveform):
    start = time.perf_counter()
    fn(waveform)["embedding"].numpy()
    return time.perf_counter() - start


def measure(model, seconds, new_lengths, step_samples):
    """{"first_s", "repeat_s", "new_length_s", "ratio"} for one loaded SavedModel: the very first call,
    then medians over the unseen lengths of the first call at each and of the repeat at the same one.
    Kernel set-ups are cached per process and shape, so each encoder should get lengths of its own
    (`seconds` differs per encoder in `main`)."""
    import numpy as np
    import tensorflow as tf
    rng = np.random.default_rng(0)
    samples = int(seconds * 16000)

    def clip(n):
        return tf.constant(rng.uniform(-0.3, 0.3, (1, n)).astype(np.float32))
    first = _timed(model, clip(samples))
    _timed(model, clip(samples))
    new, repeat = [], []
    for i in range(new_lengths):
        length = samples + step_samples * (i + 1)
        new.append(_timed(model, clip(length)))
        repeat.append(_timed(model, clip(length)))
    new, repeat = statistics.median(new), statistics.median(repeat)
    return {"first_s": first, "repeat_s": repeat, "new_length_s": new, "ratio": new / repeat}


def main(argv):
    del argv
    import tensorflow as tf

    import zoo
    from zoo.export.saved_model import export_saved_model
    onednn = os.environ.get("TF_ENABLE_ONEDNN_OPTS", "1") != "0"     # TensorFlow's default on x86 Linux
    tf.config.threading.set_intra_op_parallelism_threads(FLAGS.threads)
    tf.config.threading.set_inter_op_parallelism_threads(FLAGS.threads)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folders = []
        for name in FLAGS.encoders:
            folder = os.path.join(tmp, name)
            export_saved_model(zoo.create_encoder(name), folder, name)
            folders.append((name, folder))
        folders += [(name, zoo.published_path(name)) for name in FLAGS.published if name]
        for k, (name, folder) in enumerate(folders):
            # lengths of its own for each encoder: two nets of one architecture share kernel shapes
            seconds = FLAGS.seconds + k * (FLAGS.new_lengths + 1) * FLAGS.step_samples / 16000
            row = {"encoder": name, "onednn": onednn,
                   **measure(tf.saved_model.load(folder), seconds, FLAGS.new_lengths, FLAGS.step_samples)}
            rows.append(row)
            print(f"{name}: repeat {row['repeat_s'] * 1e3:.1f} ms, new length {row['new_length_s'] * 1e3:.1f} ms, "
                  f"ratio {row['ratio']:.2f}", flush=True)
    print(f"\nfrom {FLAGS.seconds:g} s up (each encoder its own lengths) in steps of {FLAGS.step_samples} samples, "
          f"{FLAGS.threads} threads, median "
          f"of {FLAGS.new_lengths} unseen lengths, oneDNN {'on' if onednn else 'off (TF_ENABLE_ONEDNN_OPTS=0)'}\n")
    write_table(["encoder", "first call (ms)", "repeat at a new length (ms)", "new length (ms)", "new / repeat"],
                [[f"`{r['encoder']}`", f"{r['first_s'] * 1e3:.0f}", f"{r['repeat_s'] * 1e3:.1f}",
                  f"{r['new_length_s'] * 1e3:.1f}", f"{r['ratio']:.2f}"] for r in rows], rows, FLAGS.out)

if __name__ == "__main__":
    app.run(main)
