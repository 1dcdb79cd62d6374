"""The notebooks run top to bottom with TINY=1 (nbclient), produce the values they promise and render
without tracebacks; they are stored with the outputs of a full-size run
(`python notebooks/render_outputs.py`), without machine paths."""

import json
import os
import re

import nbformat
import pytest
from nbclient import NotebookClient

# An absolute POSIX path: a slash that starts a word (not inside "clips/s", a URL or "<tmp>/") and a folder.
ABSOLUTE_PATH = re.compile(r"(?<![\w<>~.:/])/[A-Za-z_][\w.-]*/[\w.-]+")
NOTEBOOKS = os.path.join(os.path.dirname(__file__), os.pardir, "notebooks")
pytestmark = pytest.mark.notebooks          # run from the installed wheel: `python -m pytest -m notebooks`


def _run(name, tmp_path, monkeypatch):
    monkeypatch.setenv("TINY", "1")
    monkeypatch.setenv("HARES_ZOO_CACHE", str(tmp_path / "cache"))
    path = os.path.join(NOTEBOOKS, name)
    stored = nbformat.read(path, as_version=4)
    shown = "".join(o.get("text", "") + str(o.get("data", {}).get("text/plain", ""))
                    for c in stored.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "TINY = False" in shown, f"{name} is not stored with the outputs of a full-size run"
    absolute = ABSOLUTE_PATH.findall(shown)          # render_outputs.py writes <checkout>, ~ and <tmp> instead
    assert absolute == [], f"{name}: machine paths in the stored outputs: {absolute[:3]}"
    NotebookClient(stored, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": NOTEBOOKS}}).execute()
    texts = [o.get("text", "") for c in stored.cells if c.cell_type == "code" for o in c.outputs]
    assert not any(o.get("output_type") == "error" for c in stored.cells if c.cell_type == "code"
                   for o in c.outputs)
    stderr = "".join(o.get("text", "") for c in stored.cells if c.cell_type == "code" for o in c.outputs
                     if o.get("name") == "stderr")
    assert "Traceback" not in stderr and stderr.count("\n") < 20, stderr[-2000:]
    assert "cuInit" not in stderr and "cuInit" not in shown, "TensorFlow's CUDA probe error on a CPU machine"
    result = [line for text in texts for line in text.splitlines() if line.startswith("RESULT ")]
    assert len(result) == 1
    return json.loads(result[0][len("RESULT "):]), stored


def test_01_embed_with_hub(tmp_path, monkeypatch):
    import zoo
    stored = nbformat.read(os.path.join(NOTEBOOKS, "01_embed_with_hub.ipynb"), as_version=4)
    shown = "".join(o.get("text", "") for o in stored.cells[3].get("outputs", []))
    assert f"| {zoo.DEFAULT_PUBLISHED} | " in shown and "**Verdict:**" in shown    # the card's whole score section
    result, nb = _run("01_embed_with_hub.ipynb", tmp_path, monkeypatch)
    assert result["files"] == 27 and result["embedding_shape"] == [27, 1440] and result["finite"]  # published
    assert result["centroid_accuracy"] == pytest.approx(27 / 27)   # reference: 27 of 27 files (chance 1 / 9)
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(images) == 1                           # the projection plot


def test_02_pretrain_simclr_byol(tmp_path, monkeypatch):
    result, nb = _run("02_pretrain_simclr_byol.ipynb", tmp_path, monkeypatch)
    assert set(result) == {"simclr", "byol"}
    for run in result.values():
        assert run["logged_steps"] == 6 and run["losses_finite"] and run["final_embedding_std"] > 0
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(images) == 1


def test_03_hares_probe(tmp_path, monkeypatch):
    result, nb = _run("03_hares_probe.ipynb", tmp_path, monkeypatch)
    assert set(result) == {"nf_slowfast_tiny_fine_std_logmel-distill-open-audio", "logmel", "logmel_conv_tiny", "lbfgs"}
    # Reference means (%) of the TINY run, seed 0 (frozen encoders, seeded probe): 0.05 points.
    reference = {"nf_slowfast_tiny_fine_std_logmel-distill-open-audio": 60.83, "logmel": 37.08, "logmel_conv_tiny": 39.31,
                 "lbfgs": 58.61}
    for name, summary in result.items():
        assert summary["tasks_run"] == 6 and not summary["missing"]
        assert summary["score"] == pytest.approx(reference[name], abs=0.05), (name, summary["score"])
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert any("image/png" in o.get("data", {}) for o in outputs)
    assert any("text/markdown" in o.get("data", {}) and "mean" in o["data"]["text/markdown"] for o in outputs)


def test_04_tflite_on_device(tmp_path, monkeypatch):
    result, _ = _run("04_tflite_on_device.ipynb", tmp_path, monkeypatch)
    rows = result["rows"]
    assert result["parity_passed"] and result["own_parity_passed"] and result["embedding_shape"] == [1, 1440]
    assert rows["float32"]["min_cosine"] > 0.9999 and rows["int8_dynamic"]["min_cosine"] >= 0.99
    assert rows["int8_dynamic"]["megabytes"] <= rows["float32"]["megabytes"]
    assert all(r["latency_ms"] > 0 for r in rows.values())


@pytest.mark.parametrize("name", sorted(n for n in os.listdir(NOTEBOOKS) if n.endswith(".ipynb")))
def test_every_notebook_starts_with_the_install_cell_and_a_tiny_switch(name):
    nb = nbformat.read(os.path.join(NOTEBOOKS, name), as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert "pip" in code[0] and 'os.environ.get("TINY")' in code[0]


# The public surface the notebooks may use: package-level names (each package's __all__) and the two
# documented data modules (docs/encoders.md, "Data").
PUBLIC_MODULES = ("zoo.data.audio_io", "zoo.data.minihares")


@pytest.mark.parametrize("name", sorted(n for n in os.listdir(NOTEBOOKS) if n.endswith(".ipynb")))
def test_notebooks_import_only_public_names(name):
    import importlib
    import re
    nb = nbformat.read(os.path.join(NOTEBOOKS, name), as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    private = []
    for module, names in re.findall(r"^\s*from (zoo[\w.]*) import ([\w, ]+)", code, flags=re.M):
        for imported in [n.strip() for n in names.split(",")]:
            if f"{module}.{imported}" in PUBLIC_MODULES or module in PUBLIC_MODULES:
                continue
            if imported not in getattr(importlib.import_module(module), "__all__", ()):
                private.append(f"{module}.{imported}")
    private += [m for m in re.findall(r"^\s*import (zoo[\w.]*)", code, flags=re.M) if m != "zoo"]
    private += [m for m in re.findall(r"\bzoo\.(\w+)\b", code) if m not in importlib.import_module("zoo").__all__
                and m not in ("hares", "pretrain", "export", "data", "hear") and not m.startswith("__")]
    assert not private, f"{name} uses names outside the public API: {private}"
