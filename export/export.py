"""Export an encoder under the serving contract (see export/README.md); the same program as
`hares-zoo export`, for checkouts where the console script is not on PATH.

    python export/export.py --encoder=nf_slowfast_tiny --out=exports/sf_tiny
    python export/export.py --help
"""

import sys

from zoo.cli.main import run

if __name__ == "__main__":
    sys.exit(run([sys.argv[0], "export"] + sys.argv[1:]))
