"""The licence of published weights and the attribution shipped beside them.

The code is Apache-2.0 (`LICENSE`). Weights are another matter: whether trained weights are a work
derived from their training recordings is unsettled, so we take the conservative reading and license
them on terms that every share-alike licence of the data allows (docs/licences.md):

- GPL-2.0-or-later recordings may be redistributed under GPL-3.0-or-later;
- LGPL material may be relicensed under the GPL (LGPL-2.x section 3), hence GPL-3.0-or-later;
- CC-BY-SA-3.0 material may be adapted under a later version (CC-BY-SA-4.0), which Creative Commons
  declared one-way compatible with GPL-3.0;
- GFDL material has no such route (the FSF counts the GFDL incompatible with the GPL), so a file
  under the GFDL alone never enters a pretraining pool (`zoo.data.corpora.package_audio`);
- attribution and permissive licences (CC-BY, CC0, Zlib, Expat, public domain) and the teachers'
  licences (Apache-2.0, MIT, ISC) allow GPL-3.0-or-later as well, given the notices.

So weights learned from data under any share-alike licence are published under **GPL-3.0-or-later**;
weights learned only from permissively licensed data would be Apache-2.0 like the code. The
attribution that the data licences ask for is every training file's package, version, licence and
path: `provenance.csv.gz` beside each published encoder, shipped in the wheel.
"""

import csv
import gzip
import io
import os

from zoo.data.debs import gfdl_only

SHARE_ALIKE = ("GPL", "LGPL", "AGPL", "CC-BY-SA", "GFDL")
PERMISSIVE = ("CC0", "CC-BY-", "public-domain", "Zlib", "Expat", "MIT", "BSD", "permissive", "attribution")
FONTS = ("OFL", "Font", "Vera", "Arev", "Gust")       # the packages' fonts, not their audio
SHARE_ALIKE_WEIGHTS = "GPL-3.0-or-later"
PERMISSIVE_WEIGHTS = "Apache-2.0"
ATTRIBUTION_FILE = "provenance.csv.gz"
ATTRIBUTION_COLUMNS = ("package", "version", "licence", "path", "duration_s")


def licences_of(packages):
    """{package: {"licence": "A; B", ...}} -> sorted licence names named by any package."""
    return sorted({name.strip() for entry in packages.values() for name in entry["licence"].split(";") if name.strip()})


def decide_weights_licence(packages, teacher_specs=()):
    """The weights' licence and the reasoning, as a dict for the model card: `licence`, `reason`,
    `share_alike` (the data licences that decide it), `teachers` (name: licence)."""
    names = licences_of(packages)
    share_alike = [name for name in names if any(name.startswith(s) for s in SHARE_ALIKE)]
    unclassified = [name for name in names if name not in share_alike
                    and not any(k.lower() in name.lower() for k in PERMISSIVE + FONTS)]
    teachers = {spec.name: spec.licence for spec in teacher_specs}
    gfdl = [name for name in share_alike if gfdl_only(name)]
    if gfdl:
        raise ValueError(f"the training files include {', '.join(gfdl)} material, which no GPL licence can take; "
                         "rebuild the corpus (files under the GFDL alone are now left out) and train again")
    if share_alike:
        routes = {"GPL": "GPL-2+ by its 'or later' clause", "LGPL": "LGPL by its section 3, which lets a copy "
                  "be placed under the GPL", "CC-BY-SA": "CC-BY-SA-3.0 through CC-BY-SA-4.0's declared "
                  "one-way compatibility with GPL-3.0"}
        named = [route for key, route in routes.items() if any(n.startswith(key) for n in share_alike)]
        reason = (f"the training recordings include share-alike material ({', '.join(share_alike)}); "
                  f"GPL-3.0-or-later is a licence all of them allow ({'; '.join(named)}), and the "
                  "permissive licences of the other files" + (" and of the teachers" if teachers else "") +
                  " allow it too")
        licence = SHARE_ALIKE_WEIGHTS
        if unclassified:
            reason += (f"; {', '.join(unclassified)} (named by a package's copyright file for some of its files) "
                       "we could not classify: check those files' terms in that file before relying on the weights")
    else:
        reason = "every training recording" + (" and every teacher" if teachers else "") + \
            " is under a permissive licence, so the weights take the code's licence"
        licence = PERMISSIVE_WEIGHTS
    return {"licence": licence, "reason": reason, "share_alike": share_alike, "unclassified": unclassified,
            "teachers": teachers}


def pool_rows(corpus_root):
    """The provenance rows of the files a run on the corpus at `corpus_root` trained on (split `pretrain`)."""
    with open(os.path.join(corpus_root, "provenance.csv"), newline="", encoding="utf-8") as f:
        return [row for row in csv.DictReader(f) if row["split"] == "pretrain"]


def write_attribution(folder, rows):
    """`provenance.csv.gz` in `folder`: one row per training file (package, version, licence, path in
    the package, duration in seconds), byte-identical for the same rows. Returns its path."""
    text = io.StringIO()
    writer = csv.DictWriter(text, ATTRIBUTION_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(sorted(rows, key=lambda r: (r["package"], r["path"])))
    path = os.path.join(folder, ATTRIBUTION_FILE)
    with open(path, "wb") as f:
        f.write(gzip.compress(text.getvalue().encode("utf-8"), mtime=0))
    return path


def read_attribution(folder):
    """The rows of `folder`'s `provenance.csv.gz` (FileNotFoundError naming the file when absent)."""
    path = os.path.join(folder, ATTRIBUTION_FILE)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no attribution file beside this encoder")
    with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def licence_lines(weights):
    """Model-card lines: the weights' licence, why, and where the attribution is."""
    lines = [f"**Licence of these weights: {weights['licence']}** (the code is Apache-2.0). Why: "
             f"{weights['reason']}. Whether trained weights are derived from their training data is "
             "legally unsettled; this is the conservative reading (docs/licences.md).", "",
             f"Attribution: `{ATTRIBUTION_FILE}` beside this card lists every training file with its package, "
             "version, licence and path in the package; keep it with the weights when you redistribute them."]
    if weights["teachers"]:
        lines += ["", "Teachers (their weights were run, not shipped): " +
                  ", ".join(f"{name} ({licence})" for name, licence in weights["teachers"].items()) + "."]
    return lines


def run_weights_licence(corpus, config):
    """The weights' licence (`licences.decide_weights_licence`) for a run on `corpus` with `config`."""
    teachers = ()
    if config.get("objective") == "distill":
        from zoo.teachers import parse_teachers, teacher_spec
        teachers = [teacher_spec(name) for name in parse_teachers(config["teachers"])]
    return decide_weights_licence(corpus["packages"], teachers)
