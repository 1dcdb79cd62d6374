"""Execute the notebooks in place at full size (TINY unset) and store their outputs, so that a reader
on the forge sees what a run gives; CI executes them again with TINY=1 (tests/test_notebooks.py).

    python notebooks/render_outputs.py                       # all four
    python notebooks/render_outputs.py 03_hares_probe.ipynb  # one

Paths of this machine in the outputs (the checkout, the home folder, temporary folders) are replaced
by placeholders, so no machine path is committed, and TensorFlow's C++ start-up log lines (`I0000
...`, `E0000 ... cuInit`, which its absl logging prints whatever TF_CPP_MIN_LOG_LEVEL says) are left
out of the stored stderr.
"""

import os
import re
import sys
import tempfile

import nbformat
from nbclient import NotebookClient

HERE = os.path.dirname(os.path.abspath(__file__))
NOTEBOOKS = ("01_embed_with_hub.ipynb", "02_pretrain_simclr_byol.ipynb", "03_hares_probe.ipynb",
             "04_tflite_on_device.ipynb")


LOG_LINE = re.compile(r"^([IWE]\d{4} \d\d:\d\d:[\d.]+ |WARNING: All log messages before absl)")


def scrub(text):
    """The outputs' text with machine paths replaced by placeholders and TensorFlow's log lines dropped."""
    text = "".join(line for line in text.splitlines(True) if not LOG_LINE.match(line))
    text = text.replace(os.path.dirname(HERE), "<checkout>")
    text = text.replace(os.path.expanduser("~"), "~")
    return re.sub(re.escape(tempfile.gettempdir()) + r"/[^\s'\"]+", "<tmp>", text)


def render(name):
    path = os.path.join(HERE, name)
    notebook = nbformat.read(path, as_version=4)
    os.environ.pop("TINY", None)
    NotebookClient(notebook, timeout=3600, kernel_name="python3", resources={"metadata": {"path": HERE}}).execute()
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        for output in cell.outputs:
            if "text" in output:
                output["text"] = scrub(output["text"])
            for kind in ("text/plain", "text/html", "text/markdown"):
                if kind in output.get("data", {}):
                    output["data"][kind] = scrub(output["data"][kind])
        cell.outputs = [o for o in cell.outputs if not (o.get("name") == "stderr" and not o.get("text", "").strip())]
    nbformat.write(notebook, path)
    print(f"rendered {name}", flush=True)


if __name__ == "__main__":
    for name in sys.argv[1:] or NOTEBOOKS:
        render(name)
