"""`hares-zoo bench --peers`: the published encoders beside BirdNET V2.4, log-mel and librosa, in one
run on the same clips and probe (accuracy, latency, throughput, size, ratios to BirdNET; table + PNG).

It runs the program `zoo.workflows.peers_bench` (installed with the package) with the flags given
after `--`, e.g.

    hares-zoo bench --peers -- --suites=mini --size=tiny --out=/tmp/peers.png

Needs the `peers` extra (`pip install "hares-zoo[peers]"`, or `pip install -e ".[peers]"` in a checkout).
"""

import subprocess
import sys

from absl import flags

FLAGS = flags.FLAGS
flags.DEFINE_bool("peers", False, "Run the peers side-by-side bench (zoo.workflows.peers_bench).")


def main(argv):
    if not FLAGS.peers:
        sys.exit("hares-zoo bench: name a bench: --peers")
    sys.exit(subprocess.call([sys.executable, "-m", "zoo.workflows.peers_bench"] + list(argv[1:])))
