"""Peak memory of the Keras probe on a large in-memory training set (synthetic embeddings):

    python benchmarks/probe_memory.py --rows=200000 --dim=1536 --classes=50

Prints the embeddings' size, the process's resident memory before the fit and its peak during it
(ru_maxrss), and the fit's wall time (10 probe steps: the setup dominates, not the steps).
"""

import os
import resource
import time

from absl import app, flags

flags.DEFINE_integer("rows", 200_000, "Training rows (windows); 200,000 x 1,536 is about NSynth-pitch's 1-s "
                     "windows of a sixth of its training clips.")
flags.DEFINE_integer("dim", 1536, "Embedding size (1,536: the Slowfast NFNet-F0).")
flags.DEFINE_integer("classes", 50, "Classes.")
flags.DEFINE_integer("steps", 10, "Probe steps.")
FLAGS = flags.FLAGS


def _resident_gb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e9


def main(argv):
    del argv
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import numpy as np

    from zoo.hares.linear_probe import ProbeSettings, fit_and_score
    rng = np.random.default_rng(0)
    x = rng.standard_normal((FLAGS.rows, FLAGS.dim), dtype=np.float32)
    y = np.eye(FLAGS.classes, dtype=np.float32)[rng.integers(0, FLAGS.classes, FLAGS.rows)]
    before = _resident_gb()
    start = time.perf_counter()
    fit_and_score(x, y, x[:1000], y[:1000], np.arange(1000).astype(str), ProbeSettings(steps=FLAGS.steps))
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9     # kB on Linux
    print(f"embeddings {x.nbytes / 1e9:.2f} GB ({FLAGS.rows} x {FLAGS.dim} float32); resident before the fit "
          f"{before:.2f} GB; peak {peak:.2f} GB (+{peak - before:.2f} GB, {(peak - before) / (x.nbytes / 1e9):.1f}x "
          f"the embeddings); fit {seconds:.1f} s")


if __name__ == "__main__":
    app.run(main)
