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


def _import_graph():
    """{module: modules of zoo it imports}, from every import statement at any depth (functions too),
    relative imports resolved; `from a import b` counts module a.b when it is one, else a."""
    modules = {m.name: m for m in pkgutil.walk_packages(zoo.__path__, "zoo.")}
    modules["zoo"] = None
    paths = {name: os.path.join(ROOT, *name.split(".")) for name in modules}
    paths = {name: (p + "/__init__.py" if os.path.isdir(p) else p + ".py") for name, p in paths.items()}
    graph = {}
    for name, path in paths.items():
        package = name if path.endswith("__init__.py") else name.rsplit(".", 1)[0]
        found = set()
        for node in ast.walk(ast.parse(open(path).read())):
            if isinstance(node, ast.Import):
                found |= {a.name for a in node.names if a.name in paths}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[:len(package.split(".")) - node.level + 1]
                    base = ".".join(parts + ([base] if base else []))
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    found.add(full if full in paths else base)
        graph[name] = {m for m in found if m in paths and m != name}
    return graph


def test_no_import_cycle_among_the_packages_modules():
    graph = _import_graph()
    assert "zoo.encoder_specs" in graph["zoo.encoders.vit"] and "zoo.encoders" in graph["zoo.registry"]
    cycles = []

    def visit(module, trail):
        for target in sorted(graph[module]):
            if target in trail:
                cycles.append(trail[trail.index(target):] + [target])
            elif target not in done:
                visit(target, trail + [target])
        done.add(module)
    done = set()
    for module in sorted(graph):
        if module not in done:
            visit(module, [module])
    assert not cycles, f"import cycles: {cycles[:3]}"


def test_no_module_of_the_package_is_over_400_lines():
    long = {}
    for dirpath, _, files in os.walk(os.path.join(ROOT, "zoo")):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(dirpath, name)
                with open(path) as f:
                    count = sum(1 for _ in f)
                if count > 400:
                    long[os.path.relpath(path, ROOT)] = count
    assert not long, f"modules over 400 lines (split them by job): {long}"
