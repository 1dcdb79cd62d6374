"""Licences that agree everywhere: `python -m zoo.export.card_check` checks the installed package.

- the distribution's `License-Expression` names the code's licence and every shipped card's;
- the text of each licence it names ships with the distribution;
- every published card's top-level `license` is its weights' licence, as its publication decided it;
- every card's per-package licences are those of its `provenance.csv.gz`, file by file.

Prints one line per problem and exits 1 when there is any; 0 and a summary otherwise.
"""

import collections
import csv
import gzip
import importlib.metadata
import json
import os
import sys

DISTRIBUTION = "hares-zoo"
LICENCE_FILES = {"Apache-2.0": "LICENSE", "GPL-3.0-or-later": "LICENSES/GPL-3.0-or-later.txt"}


def _licences(text):
    return {name.strip() for name in text.split(";") if name.strip()}


def distribution_licences(distribution=DISTRIBUTION):
    """(the SPDX ids of the distribution's `License-Expression`, the licence files it ships)."""
    dist = importlib.metadata.distribution(distribution)
    expression = dist.metadata.get("License-Expression") or ""
    ids = {term.strip("() ") for term in expression.replace(" OR ", " AND ").split(" AND ") if term.strip("() ")}
    files = set(dist.metadata.get_all("License-File") or [])
    return ids, files


def card_problems(folder):
    """What disagrees inside one published folder (its card against itself and its provenance)."""
    name = os.path.basename(os.path.normpath(folder))
    with open(os.path.join(folder, "model_card.json")) as f:
        card = json.load(f)
    problems = []
    decided = card.get("publication", {}).get("weights_licence", {}).get("licence")
    if card.get("license") != decided:
        problems.append(f"{name}: model_card.json's license is {card.get('license')!r}, its weights' licence "
                        f"{decided!r}")
    provenance = os.path.join(folder, "provenance.csv.gz")
    if not os.path.exists(provenance):
        return problems + [f"{name}: no provenance.csv.gz beside the card"]
    by_package = collections.defaultdict(set)
    with gzip.open(provenance, "rt", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            by_package[row["package"]] |= _licences(row["licence"])
    carded = {package: _licences(entry["licence"])
              for package, entry in card.get("publication", {}).get("corpus", {}).get("packages", {}).items()}
    for package in sorted(set(by_package) | set(carded)):
        if by_package.get(package) != carded.get(package):
            problems.append(f"{name}: {package}'s licences are {sorted(carded.get(package, ()))} on the card, "
                            f"{sorted(by_package.get(package, ()))} in provenance.csv.gz")
    return problems


def check(published_root=None, distribution=DISTRIBUTION):
    """Every problem (a list of lines) of the installed distribution and its published folders."""
    from zoo.export.model_card import CODE_LICENCE
    from zoo.published import published_dir
    root = published_root or published_dir()
    folders = sorted(os.path.join(root, n) for n in os.listdir(root)
                     if os.path.exists(os.path.join(root, n, "model_card.json")))
    ids, files = distribution_licences(distribution)
    problems = []
    needed = {CODE_LICENCE}
    for folder in folders:
        problems += card_problems(folder)
        with open(os.path.join(folder, "model_card.json")) as f:
            needed.add(json.load(f).get("license"))
    for licence in sorted(needed - ids, key=str):
        problems.append(f"the distribution's License-Expression ({' AND '.join(sorted(ids)) or 'none'}) does not "
                        f"name {licence}, which a shipped card gives")
    for licence in sorted(ids | needed, key=str):
        if LICENCE_FILES.get(licence) not in files:
            problems.append(f"no text of {licence} ships with the distribution (expected "
                            f"{LICENCE_FILES.get(licence, 'a licence file')} among {sorted(files)})")
    return problems, len(folders), ids


def main():
    problems, count, ids = check()
    for line in problems:
        print(line)
    if problems:
        return 1
    print(f"card_check: {DISTRIBUTION} is {' AND '.join(sorted(ids))}; {count} published cards agree with it and "
          "with their provenance, and both licence texts ship")
    return 0


if __name__ == "__main__":
    sys.exit(main())
