"""Does a volunteer voice of KLettres (pretraining side) also speak in KTuberling (probe side)?

Both packages are KDE Edu: children's games whose letters, syllables and words were recorded by
volunteers, language by language. Nothing in the packages names the speakers, so this compares voices:
every file's speaker embedding (the Resemblyzer teacher, GE2E, 256-d), a centroid per package and
language folder (`klettres/<lang>/alpha`, `klettres/<lang>/syllab`, `ktuberling/sounds/<lang>`, each
a recording session and most likely one voice), and the cosine of centroids:

- *same voice, for reference*: KLettres' `alpha` against `syllab` of the same language (one
  volunteer recorded both where the folders share a recording chain; the lowest such pair is the
  bar a shared voice clears);
- *different voices, for reference*: KLettres folders of different languages;
(KLettres folders are read for the languages KTuberling also has.)
- *the question*: every KLettres folder against every KTuberling folder, the same language first.

A cross-package pair at or above the same-voice bar is reported as a possible shared voice.

    hares-zoo prepare --corpus=open-audio && hares-zoo prepare --corpus=cross-source
    python benchmarks/archive/voice_overlap.py --out=benchmarks/archive/voice_overlap
"""

import collections
import json
import os

from absl import app, flags

flags.DEFINE_string("out", None, "Write the results (.json) with this file stem.")
flags.DEFINE_integer("min_files", 5, "Folders with fewer files are left out.")
FLAGS = flags.FLAGS

def folders(root, package, depth):
    """{'package:<path below the package's share folder, `depth` parts>': [files]}."""
    from zoo.data.audio_io import AUDIO_EXTENSIONS
    found = collections.defaultdict(list)
    for here, _, names in os.walk(root):
        for name in names:
            if name.lower().endswith(AUDIO_EXTENSIONS):
                parts = os.path.relpath(here, root).split(os.sep)
                found[f"{package}:{'/'.join(parts[:depth])}"].append(os.path.join(here, name))
    return found


def centroids(groups, teacher, min_files):
    import numpy as np

    from zoo.data.audio_io import read_audio
    out, spread = {}, {}
    for key, files in sorted(groups.items()):
        if len(files) < min_files:
            continue
        clips = []
        for path in sorted(files):
            try:
                clip = read_audio(path)
            except Exception as error:         # noqa: BLE001 - one bad file must not stop the check
                print(f"skipped {path}: {error}")
                continue
            if clip.size >= 1600:              # at least 0.1 s
                clips.append(clip)
        if len(clips) < min_files:
            continue
        rows = np.asarray(teacher.embed_batch(clips))       # one call per folder: the LSTM runs batched
        rows /= np.linalg.norm(rows, axis=1, keepdims=True)
        centre = rows.mean(0)
        out[key] = centre / np.linalg.norm(centre)
        spread[key] = float(np.mean(rows @ out[key]))
    return out, spread


def main(argv):
    del argv
    import numpy as np

    import zoo
    from zoo.teachers import create_teacher
    klettres = os.path.join(zoo.cache_dir("open-audio"), "audio", "klettres-data", "usr", "share", "klettres")
    ktuberling = os.path.join(zoo.cache_dir("cross-source"), "audio", "ktuberling-data", "usr", "share", "ktuberling",
                              "sounds")
    for path in (klettres, ktuberling):
        if not os.path.isdir(path):
            raise SystemExit(f"{path} is missing: build the corpora first (see the module docstring)")
    teacher = create_teacher("resemblyzer")
    probe_side = folders(ktuberling, "ktuberling", 1)
    languages = {key.split(":")[1] for key in probe_side}
    pretrain_side = {k: v for k, v in folders(klettres, "klettres", 2).items()       # languages of both packages
                     if k.split(":")[1].split("/")[0] in languages}
    groups = {**pretrain_side, **probe_side}
    centre, spread = centroids(groups, teacher, FLAGS.min_files)
    lang = lambda key: key.split(":")[1].split("/")[0]
    kl = [k for k in centre if k.startswith("klettres:")]
    kt = [k for k in centre if k.startswith("ktuberling:")]
    cos = lambda a, b: float(centre[a] @ centre[b])
    same_voice = {f"{lang(a)}": cos(a, a.replace("/alpha", "/syllab")) for a in kl
                  if a.endswith("/alpha") and a.replace("/alpha", "/syllab") in centre}
    different = [cos(a, b) for i, a in enumerate(kl) for b in kl[i + 1:] if lang(a) != lang(b)]
    cross = sorted(((cos(a, b), a, b) for a in kl for b in kt), reverse=True)
    same_language = sorted(((c, a, b) for c, a, b in cross if lang(a) == lang(b)), reverse=True)
    bar = min(same_voice.values())
    flagged = [(c, a, b) for c, a, b in cross if c >= bar]
    print(f"{len(kl)} KLettres folders, {len(kt)} KTuberling folders (>= {FLAGS.min_files} files each)")
    print(f"same voice (KLettres alpha vs syllab, same language): min {bar:.3f}, median "
          f"{np.median(list(same_voice.values())):.3f} over {len(same_voice)} languages")
    print(f"different voices (KLettres, different languages): median {np.median(different):.3f}, "
          f"99th percentile {np.percentile(different, 99):.3f}, max {max(different):.3f}")
    print(f"KLettres x KTuberling: max {cross[0][0]:.3f} ({cross[0][1]} ~ {cross[0][2]}); same language pairs:")
    for c, a, b in same_language:
        print(f"  {c:.3f}  {a}  ~  {b}")
    print(f"pairs at or above the same-voice bar ({bar:.3f}): {len(flagged)}")
    for c, a, b in flagged[:20]:
        print(f"  {c:.3f}  {a}  ~  {b}")
    if FLAGS.out:
        with open(FLAGS.out + ".json", "w") as f:
            json.dump({"same_voice_bar": bar, "same_voice": same_voice, "different_voices_median": float(np.median(different)),
                       "different_voices_max": max(different), "within_folder_mean_cosine": spread,
                       "same_language_pairs": [[c, a, b] for c, a, b in same_language],
                       "flagged": [[c, a, b] for c, a, b in flagged]}, f, indent=1)


if __name__ == "__main__":
    app.run(main)
