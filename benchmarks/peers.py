"""Peers side by side (the program is `zoo.workflows.peers_bench`, so `hares-zoo bench --peers` runs it
from any install); from a checkout its results go here, beside this file:

    python benchmarks/peers.py --models=nf_slowfast_tiny_fine_std-simclr-open-audio,nf_slowfast_tiny_fine_std_logmel-distill-open-audio
"""

import os

from absl import app, flags

from zoo.workflows.peers_bench import main

if __name__ == "__main__":
    flags.FLAGS.set_default("out", os.path.join(os.path.dirname(os.path.abspath(__file__)), "peers.png"))
    app.run(main)
