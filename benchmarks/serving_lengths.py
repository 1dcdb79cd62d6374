"""What a new clip length costs through `hub.load`: for each encoder, the SavedModel is called on a
clip twice at one length (the second call is the "repeat" time), then once at each of several
lengths it has not seen; the ratio new-length / repeat says whether anything in the exported graph
is compiled or specialised per input shape (1.0: nothing is).

    python benchmarks/serving_lengths.py                                  # tiny encoders + published
    python benchmarks/serving_lengths.py --encoders=nf_slowfast_tiny --published= --seconds=2.0

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
flags.DEFINE_list("published", ["nf_slowfast_tiny-simclr-open-audio"], "Published encoders to time as shipped.")
flags.DEFINE_float("seconds", 2.0, "The repeated clip length in seconds.")
flags.DEFINE_integer("new_lengths", 5, "How many unseen lengths to time (each a few samples longer).")
flags.DEFINE_integer("threads", 2, "TensorFlow threads.")
flags.DEFINE_string("out", None, "Optional JSON file for the rows.")
FLAGS = flags.FLAGS


def _timed(fn, waveform):
    start = time.perf_counter()
    fn(waveform)["embedding"].numpy()
    return time.perf_counter() - start


def measure(model, seconds, new_lengths):
    """{"first_s", "repeat_s", "new_length_s" (median), "ratio"} for one loaded SavedModel."""
    import numpy as np
    import tensorflow as tf
    rng = np.random.default_rng(0)
    samples = int(seconds * 16000)

    def clip(n):
        return tf.constant(rng.uniform(-0.3, 0.3, (1, n)).astype(np.float32))
    first = _timed(model, clip(samples))
    repeat = statistics.median(_timed(model, clip(samples)) for _ in range(3))
    new = statistics.median(_timed(model, clip(samples + 7 * (i + 1))) for i in range(new_lengths))
    return {"first_s": first, "repeat_s": repeat, "new_length_s": new, "ratio": new / repeat}


def main(argv):
    del argv
    import tensorflow as tf

    import zoo
    from zoo.export.saved_model import export_saved_model
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
        for name, folder in folders:
            row = {"encoder": name, **measure(tf.saved_model.load(folder), FLAGS.seconds, FLAGS.new_lengths)}
            rows.append(row)
            print(f"{name}: repeat {row['repeat_s'] * 1e3:.1f} ms, new length {row['new_length_s'] * 1e3:.1f} ms, "
                  f"ratio {row['ratio']:.2f}", flush=True)
    print(f"\n{FLAGS.seconds:g}-s clips, {FLAGS.threads} threads, median of {FLAGS.new_lengths} unseen lengths\n")
    write_table(["encoder", "first call (ms)", "repeat (ms)", "new length (ms)", "new / repeat"],
                [[f"`{r['encoder']}`", f"{r['first_s'] * 1e3:.0f}", f"{r['repeat_s'] * 1e3:.1f}",
                  f"{r['new_length_s'] * 1e3:.1f}", f"{r['ratio']:.2f}"] for r in rows], rows, FLAGS.out)

if __name__ == "__main__":
    app.run(main)
