"""`hares-zoo bench --peers`: the published encoders beside BirdNET V2.4, log-mel and librosa, in one
run on the same clips and probe (accuracy, latency, throughput, size, ratios to BirdNET; table + PNG).

It runs the program `benchmarks/peers.py` of this checkout with the flags given after `--`, e.g.

    hares-zoo bench --peers -- --suites=mini --size=tiny --out=/tmp/peers.png

Needs `pip install -e ".[peers]"`.
"""

import os
import subprocess
import sys

from absl import flags

FLAGS = flags.FLAGS
flags.DEFINE_bool("peers", False, "Run the peers side-by-side bench (benchmarks/peers.py).")


def main(argv):
    if not FLAGS.peers:
        sys.exit("hares-zoo bench: name a bench: --peers")
    script = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                          "benchmarks", "peers.py")
    if not os.path.exists(script):
        sys.exit(f"hares-zoo bench: {script} not found (the bench ships with a checkout: pip install -e .)")
    sys.exit(subprocess.call([sys.executable, script] + list(argv[1:])))
