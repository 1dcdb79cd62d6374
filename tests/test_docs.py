"""Every citation in the repository resolves inside it: relative links in Markdown files and
notebooks point at files that exist, every cited `.md` document is in the repository, and every
"docs/paper-facts.md section N", and every docs/design.md heading quoted after the file's name,
names a section that exists."""

import json
import os
import re
import subprocess

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir))
# Documents the code writes at run time (reports), not documents it cites.
WRITTEN_AT_RUN_TIME = {"scores.md", "intervals.md", "MODEL_CARD.md"}


def _tracked_files():
    out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    return [f for f in out.splitlines() if os.path.exists(os.path.join(ROOT, f))]


FILES = _tracked_files()
TEXT_FILES = [f for f in FILES if f.endswith((".py", ".md", ".ipynb", ".cfg", ".toml")) or f == ".ci/run"]
MARKDOWN = [f for f in FILES if f.endswith(".md")]
NOTEBOOKS = [f for f in FILES if f.endswith(".ipynb")]


def _read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        return f.read()


def _markdown_text(path):
    """The Markdown of a file: a notebook's markdown cells, or the file itself."""
    if path.endswith(".ipynb"):
        cells = json.loads(_read(path))["cells"]
        return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    return _read(path)


def _headings(path):
    return [line.lstrip("#").strip() for line in _read(path).splitlines() if line.startswith("#")]


@pytest.mark.parametrize("path", MARKDOWN + NOTEBOOKS)
def test_relative_links_resolve(path):
    prose = re.sub(r"```.*?```", "", _markdown_text(path), flags=re.S)     # code is not a link
    missing = []
    for target in re.findall(r"\]\(([^)\s]+)\)", prose):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        file_part = target.split("#")[0]
        if not os.path.exists(os.path.normpath(os.path.join(ROOT, os.path.dirname(path), file_part))):
            missing.append(target)
    assert not missing, f"{path} links to missing files: {missing}"


def test_the_documentation_pages_exist_and_the_readme_is_short():
    for page in ("encoders", "pretraining", "probe", "export", "published", "cross-source", "hear-and-peers", "benchmarks",
                 "design", "paper-facts"):
        assert f"docs/{page}.md" in FILES
        assert f"(docs/{page}.md)" in _read("README.md"), f"the README does not link docs/{page}.md"
    assert len(_read("README.md").splitlines()) <= 250


@pytest.mark.parametrize("path", TEXT_FILES)
def test_cited_documents_are_in_the_repository(path):
    text = _read(path)
    basenames = {os.path.basename(f) for f in FILES}
    missing = []
    for cited in set(re.findall(r"[\w./-]*[\w-]\.md\b", text)):
        cited = cited.lstrip("./")
        if os.path.basename(cited) in WRITTEN_AT_RUN_TIME:
            continue
        if "/" in cited:
            here = os.path.normpath(os.path.join(ROOT, os.path.dirname(path), cited))
            if not (os.path.exists(os.path.join(ROOT, cited)) or os.path.exists(here)):
                missing.append(cited)
        elif cited not in basenames and cited not in WRITTEN_AT_RUN_TIME:
            missing.append(cited)
    assert not missing, f"{path} cites documents that are not in the repository: {missing}"


def _paper_sections():
    """{"1a", "2", "7.6", ...}: the headings of docs/paper-facts.md and the numbered points of its
    section 7."""
    sections = set()
    for heading in _headings("docs/paper-facts.md"):
        match = re.match(r"(\d+[a-z]?)\.", heading)
        if match:
            sections.add(match.group(1))
    text = _read("docs/paper-facts.md")
    open_points = text[text.index("## 7."):]
    sections |= {f"7.{n}" for n in re.findall(r"^(\d+)\. ", open_points, flags=re.M)}
    return sections


def test_paper_facts_and_design_citations_name_sections_that_exist():
    sections = _paper_sections()
    assert {"1a", "1c", "1d", "2", "3", "4a", "4b", "4c", "7.6"} <= sections
    design = set(_headings("docs/design.md"))
    bad = []
    for path in TEXT_FILES:
        text = re.sub(r"\s+", " ", _read(path))
        for cited in re.findall(r"paper-facts\.md\)?,? sections? (\d[\w.]*(?: and \d[\w.]*)*)", text):
            bad += [(path, s) for s in cited.split(" and ") if s.rstrip(".") not in sections]
        for heading in re.findall(r'design\.md\)?, "([^"]+)"', text):
            if heading not in design:
                bad.append((path, heading))
    assert not bad, f"citations of sections that do not exist: {bad}"


def test_docs_pages_stay_short_enough_to_read():
    pages = {f: len(_read(f).splitlines()) for f in MARKDOWN if f.startswith("docs/") and f.count("/") == 1}
    assert pages["docs/published.md"] < 250, pages["docs/published.md"]
    long = {f: n for f, n in pages.items() if n > 400}
    assert not long, f"top-level docs pages over 400 lines: {long}"


def test_every_benchmark_result_file_is_cited_and_every_script_listed():
    """A result file under benchmarks/ is cited by a page: its path, its stem as a script's --out
    writes it, or a file of the same run (the same stem, another extension); every script is in docs/benchmarks.md, the lasting ones and the archived."""
    pages = "\n".join(_read(f) for f in MARKDOWN if not f.startswith("benchmarks/") and f not in (
        "docs/benchmarks.md",)) + "\n".join(_markdown_text(f) for f in NOTEBOOKS)
    results = [f for f in FILES if f.startswith("benchmarks/") and f.endswith((".json", ".md", ".png", ".csv"))]
    cited = set(re.findall(r"benchmarks/[\w/]+", pages))         # a path, or a stem without its extension
    uncited = [f for f in results if os.path.splitext(f)[0] not in cited]
    assert not uncited, f"result files no page cites: {uncited}"
    listing = _read("docs/benchmarks.md")
    scripts = [f for f in FILES if f.startswith("benchmarks/") and f.endswith(".py")]
    assert not [f for f in scripts if f"`{f}`" not in listing and f != "benchmarks/costing.py"]
    assert {f.split("/")[1] for f in scripts} >= {"archive"}
