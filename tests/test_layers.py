"""The layers contract (.importlinter, docs/design.md "Layers") covers every module of the package,
so a new module cannot slip past it; `lint-imports` itself runs in .ci/run."""

import ast
import configparser
import os
import pkgutil

import zoo

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir))


def _layer_modules():
    config = configparser.ConfigParser()
    config.read(os.path.join(ROOT, ".importlinter"))
    layers = config["importlinter:contract:layers"]["layers"]
    return {m.strip() for line in layers.splitlines() for part in line.split(":") for m in part.split("|")
            if m.strip()}


def test_every_module_is_in_a_layer():
    listed = _layer_modules()
    modules = [m.name for m in pkgutil.walk_packages(zoo.__path__, "zoo.")]
    # zoo.data's __init__ is a docstring only: its modules sit in different layers, each listed
    body = ast.parse(open(os.path.join(ROOT, "zoo", "data", "__init__.py")).read()).body
    assert not any(isinstance(node, (ast.Import, ast.ImportFrom)) for node in body)
    uncovered = [m for m in modules if m != "zoo.data"
                 and not any(m == layer or m.startswith(layer + ".") for layer in listed)]
    assert not uncovered, f"modules in no layer of .importlinter: {uncovered}"
    assert {"zoo.cli", "zoo.hares", "zoo.pretrain", "zoo.export"} <= listed
