"""Publishing a pretraining run: scores beside its baselines, a verified export, an honest card.

    hares-zoo publish --run=runs/nf_slowfast_tiny-simclr          # -> zoo/assets/published/<name>/

`publish_run` probes four encoders on the same clips with the same linear probe — the trained one,
its random-initialisation twin (same config, fresh weights), and the log-mel baselines `logmel` and
`logmel_stats` — on mini-HARES, the open-audio suite (in-domain) and the cross-source suite (packages
pretraining never reads; the verdict's suite, docs/cross-source.md), then exports the trained encoder (`export_encoder`:
SavedModel, LiteRT float32 and dynamic-range int8, parity checks) into `<out_root>/<encoder>-<objective>-<corpus>/`
with a model card that adds: the corpus (hours, packages, licences and attribution), the
pretraining hyperparameters and wall-clock time, the commands that reproduce it, the score table,
and a plain verdict on whether the encoder beats its twin and `logmel_stats` on the cross-source suite.

    hares-zoo publish --rescore=all       # add a suite's scores to the published cards, new verdict

`rescore_published` probes a published encoder again on the suites named (the same four models) and
rewrites its card's scores, verdict and score table, leaving the weights and graphs as they are.
"""

import csv
import json
import os
import tempfile

from zoo.hares.linear_probe import ProbeSettings
from zoo.pretrain.config import reproduce_command

SUITES = ("mini", "open-audio", "cross-source")
VERDICT_SUITE, VERDICT_BASELINE = "cross-source", "logmel_stats"    # the verdict: other sources, the stronger floor
BASELINES = ("logmel", "logmel_stats")


def training_curve(run_dir):
    """[(step, loss, wall time)] from the run's TensorBoard scalars (all resumed segments)."""
    import glob

    import tensorflow as tf
    points = {}
    for path in sorted(glob.glob(os.path.join(run_dir, "logs", "train", "events.out.tfevents.*"))):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                if value.tag == "loss":
                    number = value.simple_value if value.HasField("simple_value") else \
                        float(tf.make_ndarray(value.tensor))
                    points[event.step] = (event.step, number, event.wall_time)
    return [points[s] for s in sorted(points)]


def training_hours(curve, max_gap_seconds=300):
    """Wall-clock hours spent training: the sum of gaps between logged steps, leaving out gaps
    longer than `max_gap_seconds` (the pauses between resumed sittings)."""
    times = sorted(t for _, _, t in curve)
    return sum(b - a for a, b in zip(times, times[1:]) if b - a <= max_gap_seconds) / 3600


def corpus_facts(corpus_root):
    """Hours in the pool and per package, and licences (those of the package's files in the pool,
    each file's own), from the corpus' `provenance.csv`."""
    with open(os.path.join(corpus_root, "provenance.csv"), newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    packages = {}
    for row in rows:
        entry = packages.setdefault(row["package"], {"version": row["version"], "licence": row["licence"],
                                                     "files": 0, "hours": 0.0, "pool_hours": 0.0})
        entry["files"] += 1
        entry["hours"] += float(row["duration_s"]) / 3600
        if row["split"] == "pretrain":
            entry["pool_hours"] += float(row["duration_s"]) / 3600
        if row["split"] == "pretrain":
            entry.setdefault("pool_licences", set()).update(n.strip() for n in row["licence"].split(";"))
    for entry in packages.values():
        entry["hours"], entry["pool_hours"] = round(entry["hours"], 3), round(entry["pool_hours"], 3)
        entry["licence"] = "; ".join(sorted(entry.pop("pool_licences", set()))) or entry["licence"]
    return {"packages": packages, "pool_hours": round(sum(p["pool_hours"] for p in packages.values()), 3)}


def suite_folders(suite, mini_size="default", corpus_root=None):
    """{task: shard folder} of a probe suite ("mini", "open-audio" or "cross-source"); `corpus_root`
    is the open-audio corpus (the cross-source suite is read from its default place)."""
    from zoo.cache import cache_dir
    from zoo.data.corpora import cross_source
    from zoo.data.corpora.open_audio import shard_folders
    from zoo.hares.mini import prepare_minihares
    from zoo.hares.tasks import list_tasks
    if suite == "mini":
        return prepare_minihares(cache_dir(f"mini-hares-{mini_size}"), mini_size, progress=False)
    if suite == "cross-source":
        found, _ = cross_source.shard_folders()
        return {t: found[t] for t in list_tasks("cross-source") if t in found}
    found = shard_folders(corpus_root)
    return {t: found[t] for t in list_tasks("open-audio") if t in found}


# The probe settings of the published model cards (peak 1e-3 x 1500 steps; `hares-zoo probe` now defaults to
# the paper's 2e-4 with scaled steps, within a point of these on the mini and open-audio suites).
PUBLISHED_PROBE = ProbeSettings(steps=1500, peak_learning_rate=1e-3)


def score_models(models, suites=SUITES, mini_size="default", corpus_root=None, settings=PUBLISHED_PROBE,
                 outcomes=None):
    """{model label: {suite: {task: score}}} for `models` {label: encoder}, every model on the same data.
    A dict `outcomes` receives {label: {suite: {task: intervals.TaskOutcomes}}} (per test clip)."""
    from zoo.hares.probe import score_tasks
    from zoo.hares.tasks import get_task
    results = {label: {} for label in models}
    for suite in suites:
        folders = suite_folders(suite, mini_size, corpus_root)
        tasks = [get_task(t) for t in folders if t != "pool" and t != "pretrain"]
        for label, model in models.items():
            collected = {}
            results[label][suite] = score_tasks(model, folders, tasks, settings, progress=False, outcomes=collected)
            if outcomes is not None:
                outcomes.setdefault(label, {})[suite] = collected
    return results


def score_intervals(outcomes, baseline=VERDICT_BASELINE):
    """{label: {suite: {"mean": [mean, low, high], "tasks": {task: [score, low, high]}, "vs_baseline":
    [difference, low, high, verdict]}}} in %, 95 % bootstrap intervals over test recordings; the paired
    comparison is against `baseline` on the same suite: `zoo.hares.report.interval_summary` per suite."""
    from zoo.hares.report import interval_summary
    table = {}
    for suite in dict.fromkeys(s for by_suite in outcomes.values() for s in by_suite):
        scored = {label: by_suite[suite] for label, by_suite in outcomes.items() if by_suite.get(suite)}
        for label, entry in interval_summary(scored, baseline).items():
            row = {"mean": entry["mean"], "tasks": entry["tasks"]}
            if "vs_baseline" in entry:
                row["vs_baseline"] = entry["vs_baseline"]["mean"]
            table.setdefault(label, {})[suite] = row
    return table


def teacher_models(config):
    """A distilled run's teachers as probe rows, {label: encoder}: each `teacher:NAME` and, with two or
    more, their concatenation (the ceiling the student aims at); {} for other objectives."""
    if config.get("objective") != "distill":
        return {}
    from zoo.hares.models import load_probe_model
    from zoo.teachers import parse_teachers
    names = [f"teacher:{n}" for n in parse_teachers(config["teachers"])]
    rows = {name: load_probe_model(name) for name in names}
    if len(names) > 1:
        rows["concat:" + "+".join(names)] = load_probe_model("concat:" + "+".join(names))
    return rows


LITERT_PREFIX = "LiteRT "


def litert_models(folder):
    """A published folder's LiteRT encoders as probe rows, {"LiteRT <variant>": model}, one per
    `tflite/encoder_<variant>.tflite` (float32, int8_dynamic, int8, ...), in name order."""
    import glob

    from zoo.hares.models import load_probe_model
    files = sorted(glob.glob(os.path.join(folder, "tflite", "encoder_*.tflite")))
    return {LITERT_PREFIX + os.path.basename(f)[len("encoder_"):-len(".tflite")]: load_probe_model(f) for f in files}


def litert_losses(outcomes, trained, labels, suite=VERDICT_SUITE):
    """{variant: [loss, low, high, verdict]}: the probe loss of each LiteRT row in `labels` on `suite`,
    the trained encoder's (SavedModel's) mean accuracy minus the file's, in points, with the paired
    95 % interval over test recordings (`zoo.hares.intervals.paired`; "A beats B": the SavedModel
    scores higher)."""
    from zoo.hares.intervals import paired
    return {label[len(LITERT_PREFIX):]: list(paired(outcomes[trained][suite], outcomes[label][suite]))
            for label in labels}


def loss_lines(losses, suite=VERDICT_SUITE):
    """The card's line on the LiteRT files' probe loss (`litert_losses`); [] without any."""
    if not losses:
        return []
    cells = [f"`{variant}` {loss:+.1f} [{low:+.1f}, {high:+.1f}]" for variant, (loss, low, high, _) in losses.items()]
    return ["", f"Probe loss of each LiteRT file on the {suite} suite (the SavedModel's mean minus the file's, "
            "paired over test recordings, 95 % interval; an interval that holds 0 shows no loss): " + ", ".join(cells) + "."]


def _flat_scores(by_suite):
    """{suite: {task: score}} -> {"suite/task": score}, the card's `probe_scores`."""
    return {f"{suite}/{task}": score for suite, tasks in by_suite.items() for task, score in tasks.items()}


def _mean(scores):
    return 100 * sum(scores.values()) / len(scores) if scores else float("nan")


def verdict(scores, trained, twin, baseline=VERDICT_BASELINE, suite=VERDICT_SUITE, intervals=None):
    """One plain sentence: does `trained` beat its twin and `baseline` on `suite`'s mean? With
    `intervals` (`score_intervals`), "beats" needs the paired 95 % interval to exclude 0."""
    if intervals and "vs_baseline" in intervals.get(trained, {}).get(suite, {}):
        return _paired_verdict(scores, trained, twin, baseline, suite, intervals)
    mine, theirs, floor = (_mean(scores[k].get(suite, {})) for k in (trained, twin, baseline))
    beats = [f"its random-init twin ({theirs:.1f})" if mine > theirs else None,
             f"the {baseline} baseline ({floor:.1f})" if mine > floor else None]
    loses = [f"its random-init twin ({theirs:.1f})" if mine <= theirs else None,
             f"the {baseline} baseline ({floor:.1f})" if mine <= floor else None]
    beats, loses = [b for b in beats if b], [b for b in loses if b]
    text = f"On the {suite} suite's mean accuracy this encoder scores {mine:.1f}"
    if not loses:
        return text + f": it beats {' and '.join(beats)}."
    if not beats:
        return text + f": it beats NEITHER {loses[0]} NOR {loses[1]}."
    return text + f": it beats {beats[0]} but NOT {loses[0]}."


def _paired_verdict(scores, trained, twin, baseline, suite, intervals):
    mine, low, high = intervals[trained][suite]["mean"]
    difference, d_low, d_high, said = intervals[trained][suite]["vs_baseline"]
    twin_mean = _mean(scores[twin].get(suite, {}))
    floor = f"the {baseline} baseline ({intervals[baseline][suite]['mean'][0]:.1f})"
    text = (f"On the {suite} suite's mean accuracy this encoder scores {mine:.1f} (95 % interval {low:.1f} to "
            f"{high:.1f}); against {floor} the paired difference is {difference:+.1f} ({d_low:+.1f} to {d_high:+.1f})")
    outcome = {"A beats B": f": it beats {floor}", "B beats A": f": {floor} beats it"}.get(
        said, f": the suite does NOT show it better than {floor}")
    twin_part = (f"; its random-init twin scores {twin_mean:.1f}" if twin in scores else "")
    return text + outcome + twin_part + "."


SCORES_HEADING, SCORES_END = "## Scores beside its baselines", "## Training data: licences and attribution"


def _cell(value, interval=None):
    return f"{value:.1f}" if not interval else f"{value:.1f} [{interval[1]:.1f}, {interval[2]:.1f}]"


def score_lines(scores, trained, twin, intervals=None, losses=None):
    """The card's score section (heading, table, verdict) as markdown lines; with `intervals`
    (`score_intervals`) each score carries its 95 % interval; with `losses` (`litert_losses`), the
    LiteRT files' probe loss follows the table."""
    intervals = intervals or {}
    lines = [SCORES_HEADING, "",
             "Mean linear-probe accuracy (%) over each suite's tasks; same clips, same probe "
             "(`hares-zoo probe`). The twin has this encoder's config with fresh random weights. "
             "Cross-source: packages pretraining never reads (the verdict's suite); open-audio: files held "
             "out from pretraining but from its packages (in-domain); mini: generated sounds.", ""]
    suites = [s for s in SUITES if any(s in scores[m] for m in scores)]
    tasks = [(s, t) for s in suites for t in scores[trained].get(s, {})]
    lines += ["| model | " + " | ".join(f"{s} mean" for s in suites) + " | " +
              " | ".join(t for _, t in tasks) + " |",
              "|---" * (1 + len(suites) + len(tasks)) + "|"]
    for label in scores:
        found = intervals.get(label, {})
        cells = [_cell(_mean(scores[label][s]), found.get(s, {}).get("mean")) if s in scores[label] else "-"
                 for s in suites]
        cells += [_cell(100 * scores[label][s][t], found.get(s, {}).get("tasks", {}).get(t))
                  if t in scores[label].get(s, {}) else "-" for s, t in tasks]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    if intervals:
        lines += ["", "In brackets: 95 % intervals, bootstrap over test recordings (the windows of one track "
                  "resampled together); a verdict needs the paired interval of the difference to exclude 0."]
    lines += loss_lines(losses)
    return lines + ["", "**Verdict:** " + verdict(scores, trained, twin, intervals=intervals), ""]


def _reproduce(name, config, serving_options=None):
    """The pretrain and publish commands that reproduce the published `name`."""
    default = f"{config['encoder']}-{config['objective']}-open-audio"
    run = "runs/" + name[:-len("-open-audio")] if name.endswith("-open-audio") else "runs/" + name
    publish = f"hares-zoo publish --run={run}" + ("" if name == default else f" --name={name}")
    if serving_options:
        publish += " --serving_options='" + json.dumps(serving_options) + "'"
    return [reproduce_command(config, run), publish]


def teacher_lines(config):
    """Distilled runs: the starting weights and each teacher with its weights' source and licence."""
    if config.get("objective") != "distill":
        return [f"- Started from the weights of `{config['init_encoder']}`."] if config.get("init_encoder") else []
    from zoo.teachers import parse_teachers, teacher_spec
    weight = config.get("contrastive_weight", 1.0)
    lines = [f"- Distilled from {config['teachers']} (each teacher's clip embedding predicted by a linear head, "
             + (f"beside SimCLR's loss at weight {weight:g})" if weight > 0 else "without SimCLR's loss)")
             + (f", starting from the weights of `{config['init_encoder']}`." if config.get("init_encoder") else ".")]
    return lines + [f"  - {teacher_spec(name).card_line()}" for name in parse_teachers(config["teachers"])]


def run_weights_licence(corpus, config):
    """The weights' licence (`licences.decide_weights_licence`) for a run on `corpus` with `config`."""
    from zoo.workflows.licences import decide_weights_licence
    teachers = ()
    if config.get("objective") == "distill":
        from zoo.teachers import parse_teachers, teacher_spec
        teachers = [teacher_spec(name) for name in parse_teachers(config["teachers"])]
    return decide_weights_licence(corpus["packages"], teachers)


def data_lines(corpus, weights):
    """The card's section on training data: the packages, their licences, the weights' licence."""
    from zoo.workflows.licences import licence_lines
    lines = [SCORES_END, "",
             "The weights were learned from the pretraining pool's recordings, from these packages. Licences "
             "of the files in the pool, each file's own as its package's Debian copyright file "
             "(`/usr/share/doc/PACKAGE/copyright`) states it (a free-form file, which does not say which "
             "file is under which licence, gives all it names); `provenance.csv.gz` gives each file's.", "",
             "| package | version | licences of its files in the pool | pool hours |", "|---|---|---|---|"]
    for package, entry in corpus["packages"].items():
        lines.append(f"| {package} | {entry['version']} | {entry['licence']} | {entry['pool_hours']:.2f} |")
    return lines + [""] + licence_lines(weights)


def card_markdown(name, config, corpus, curve, scores, trained, twin, serving_options=None, intervals=None):
    """The publication section of the model card, as markdown lines."""
    lines = ["## Pretraining", "",
             f"- Objective: **{config['objective']}**, {config.get('completed_steps')} steps at batch "
             f"{config['batch_size']}, {config['crop_seconds']:g}-s crops, peak learning rate "
             f"{config['learning_rate']:g} ({config['optimizer']}, {config['warmup_steps']} warm-up steps, cosine "
             f"to 0), example mixing {'on' if config.get('mixing') else 'off'}.",
             *teacher_lines(config),
             f"- Data: the open-audio corpus' pretraining pool, {corpus['pool_hours']:.2f} hours of real "
             "recordings (16 kHz mono) from Debian packages; files held out for probing never enter it.",
             f"- Compute: {training_hours(curve):.2f} hours of wall-clock training on a 2-core CPU; "
             f"final loss {curve[-1][1]:.3f} (first logged {curve[0][1]:.3f})." if curve else
             "- Compute: not logged.",
             "- Hyperparameters: every field of the run's `pretrain_config.json` is in `model_card.json` "
             "(`publication.pretrain_config`).",
             *([f"- Served with {json.dumps(serving_options)} (the same weights; pretrained with "
                f"{json.dumps(config.get('encoder_overrides') or {})}): the serving contract needs the embedding "
                "to be the time-mean of the frame embeddings."] if serving_options else []), "",
             "Reproduce:", "", "```bash", "hares-zoo prepare --corpus=open-audio", "hares-zoo prepare --corpus=cross-source",
             *_reproduce(name, config, serving_options), "```", ""]
    lines += score_lines(scores, trained, twin, intervals)
    return lines + data_lines(corpus, run_weights_licence(corpus, config))


def publish_run(run_dir, out_root=None, corpus_root=None, mini_size="default", settings=PUBLISHED_PROBE,
                quantizations=("float32", "int8_dynamic"), progress=print, name=None, serving_options=None):
    """Score, export and document one finished pretraining run; returns (export folder, facts).
    `name` defaults to `<encoder>-<objective>-open-audio`; give one for a run with encoder overrides.
    `serving_options` rebuild the trained encoder with options that add no weights before it is scored
    and exported (e.g. {"pooling": "mean_absdev"} for a net pretrained with mean + std pooling, which
    the serving contract does not allow); the card says so."""
    import zoo
    from zoo.data.corpora.open_audio import default_root
    from zoo.export.bundle import export_encoder, load_checkpoint
    from zoo.export.serving import rebuild_with
    from zoo.hares.models import load_probe_model, twin_of
    from zoo.published import published_dir
    with open(os.path.join(run_dir, "pretrain_config.json")) as f:
        config = json.load(f)
    corpus_root = corpus_root or default_root()
    corpus = corpus_facts(corpus_root)
    zoo.registry.get_spec(config["encoder"])      # imports (and registers) the encoder's classes
    encoder, _ = load_checkpoint(run_dir)
    serving_options = dict(serving_options or {})
    if serving_options:
        encoder = rebuild_with(encoder, **serving_options)
    name = name or f"{config['encoder']}-{config['objective']}-open-audio"
    twin = twin_of(encoder, config.get("seed", 0))
    trained_label, twin_label = name, f"{config['encoder']} (random init)"
    # Scores are cached in the run folder, keyed by what they depend on, so that re-publishing (a
    # new card, another quantisation) does not probe again.
    key = {"completed_steps": config.get("completed_steps"), "mini_size": mini_size, "settings": vars(settings),
           "corpus": corpus["pool_hours"], "suites": list(SUITES), "serving_options": serving_options,
           "intervals": "recordings-bootstrap-v1", "teachers": config.get("teachers")}
    cache = os.path.join(run_dir, "publish_scores.json")
    cached = {}
    if os.path.exists(cache):
        with open(cache) as f:
            cached = json.load(f)
    if cached.get("key") == key:
        scores, intervals = cached["scores"], cached["intervals"]
        progress(f"probe scores of {name} and its baselines: cached in {cache}")
    else:
        progress(f"probing {name}, its random-init twin and {', '.join(BASELINES)} on {', '.join(SUITES)}")
        outcomes = {}
        scores = score_models({trained_label: encoder, twin_label: twin,
                               **{b: load_probe_model(b) for b in BASELINES}}, SUITES, mini_size, corpus_root, settings,
                              outcomes=outcomes)
        teachers = teacher_models(config)
        if teachers:
            progress(f"probing its teachers ({', '.join(teachers)}) on {VERDICT_SUITE}")
            scores.update(score_models(teachers, (VERDICT_SUITE,), mini_size, corpus_root, settings, outcomes=outcomes))
        intervals = score_intervals(outcomes)
        with open(cache, "w") as f:
            json.dump({"key": key, "scores": scores, "intervals": intervals}, f, indent=1)
    curve = training_curve(run_dir)
    safe_config = {k: v for k, v in config.items() if k not in ("shards", "model_dir")}
    training = {"objective": config["objective"], "data": "open-audio corpus, pretraining pool",
                "steps": config.get("completed_steps"), "crop_seconds": config["crop_seconds"],
                "batch_size": config["batch_size"], "learning_rate": config["learning_rate"],
                "hours": round(training_hours(curve), 3)}
    publication = {"name": name, "pretrain_config": safe_config, "corpus": corpus, "scores": scores,
                   "weights_licence": run_weights_licence(corpus, config),
                   "probe_settings": vars(settings), "mini_hares_size": mini_size,
                   "intervals": intervals,
                   "verdict": verdict(scores, trained_label, twin_label, intervals=intervals),
                   "serving_options": serving_options,
                   "reproduce": ["hares-zoo prepare --corpus=open-audio", "hares-zoo prepare --corpus=cross-source",
                                 *_reproduce(name, config, serving_options)],
                   "markdown": card_markdown(name, config, corpus, curve, scores, trained_label, twin_label,
                                             serving_options, intervals)}
    flat = _flat_scores(scores[trained_label])
    out_dir = os.path.join(out_root or published_dir(), name)
    # LiteRT files with resizable inputs: any batch and length, as the SavedModel.
    with tempfile.TemporaryDirectory() as tmp:
        checkpoint = run_dir
        if serving_options:
            checkpoint = os.path.join(tmp, "encoder.keras")
            encoder.save(checkpoint)
        # A full-integer file calibrates on the corpus the run trained on (a served copy's .keras file
        # no longer says which).
        facts = export_encoder(config["encoder"], out_dir, checkpoint=checkpoint, quantizations=quantizations,
                               probe_scores=flat, card_extras={"training": training, "publication": publication},
                               representative=trained_corpus(corpus["packages"]), progress=progress)
    from zoo.workflows.licences import pool_rows, write_attribution
    write_attribution(out_dir, pool_rows(corpus_root))
    return out_dir, facts


KEPT_ON_REEXPORT = ("provenance.csv.gz",)     # written by publish and relicense, not by the export


def trained_corpus(packages):
    """The built-in pretraining corpus whose packages are `packages` (a card's corpus facts, keyed by
    package): "open-audio" or "open-audio-xl"; None for another set."""
    from zoo.data.corpora.sides import OPEN_AUDIO_PACKAGES, PRETRAIN_PACKAGES
    names = set(packages)
    if not names:
        return None
    return ("open-audio" if names <= set(OPEN_AUDIO_PACKAGES) else
            "open-audio-xl" if names <= set(PRETRAIN_PACKAGES) else None)


def reexport_published(folder, quantizations=("float32", "int8_dynamic"), progress=print):
    """Re-export a published folder in place with the current export code: the same weights (its
    `encoder.keras`), the same card facts (training, publication, probe scores), new graphs (LiteRT
    files with resizable inputs) and newly measured parity figures. A full-integer file ("int8") is
    calibrated on the corpus the run trained on (`trained_corpus`). Returns the new facts."""
    import shutil
    import tempfile

    from zoo.export.bundle import export_encoder
    with open(os.path.join(folder, "model_card.json")) as f:
        card = json.load(f)
    representative = trained_corpus(card.get("publication", {}).get("corpus", {}).get("packages", {}))
    with tempfile.TemporaryDirectory() as tmp:
        checkpoint = shutil.copy(os.path.join(folder, "encoder.keras"), os.path.join(tmp, "encoder.keras"))
        out = os.path.join(tmp, "export")
        facts = export_encoder(card["encoder_name"], out, checkpoint=checkpoint, quantizations=quantizations,
                               probe_scores=card.get("probe_scores"), representative=representative,
                               card_extras={key: card[key] for key in ("training", "publication") if key in card},
                               progress=progress)
        for entry in os.listdir(folder):
            path = os.path.join(folder, entry)
            if entry in KEPT_ON_REEXPORT:
                continue
            shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
        for entry in os.listdir(out):
            shutil.move(os.path.join(out, entry), os.path.join(folder, entry))
    return facts


def rescore_published(folder, suites=("cross-source",), settings=PUBLISHED_PROBE, progress=print):
    """Probe a published encoder, its twin and the baselines on `suites` again and rewrite its card's
    scores, verdict and score table in place (weights and graphs untouched); on the verdict's suite
    also its teachers and each of its LiteRT files, whose probe loss against the SavedModel the card
    then gives (`litert_losses`). Returns the verdict."""
    import zoo
    from zoo.export.model_card import write_model_card
    from zoo.hares.models import load_probe_model, twin_of
    with open(os.path.join(folder, "model_card.json")) as f:
        card = json.load(f)
    publication = card["publication"]
    config, scores = publication["pretrain_config"], publication["scores"]
    trained_label, twin_label = publication["name"], f"{config['encoder']} (random init)"
    zoo.registry.get_spec(config["encoder"])      # registers the encoder's classes
    encoder = zoo.registry.load_encoder_file(os.path.join(folder, "encoder.keras"))
    twin = twin_of(encoder, config.get("seed", 0))
    progress(f"probing {trained_label}, its random-init twin and {', '.join(BASELINES)} on {', '.join(suites)}")
    outcomes = {}
    fresh = score_models({trained_label: encoder, twin_label: twin, **{b: load_probe_model(b) for b in BASELINES}},
                         suites, settings=settings, outcomes=outcomes)
    teachers = teacher_models(config)
    if teachers and VERDICT_SUITE in suites:
        fresh.update(score_models(teachers, (VERDICT_SUITE,), settings=settings, outcomes=outcomes))
    litert = litert_models(folder) if VERDICT_SUITE in suites else {}
    if litert:
        progress(f"probing its LiteRT files ({', '.join(litert)}) on {VERDICT_SUITE}")
        fresh.update(score_models(litert, (VERDICT_SUITE,), settings=settings, outcomes=outcomes))
        publication["litert_losses"] = litert_losses(outcomes, trained_label, list(litert))
    for label, by_suite in fresh.items():
        scores.setdefault(label, {}).update(by_suite)
    intervals = publication.get("intervals") or {}
    for label, by_suite in score_intervals(outcomes).items():
        intervals.setdefault(label, {}).update(by_suite)
    publication["intervals"] = intervals
    publication["verdict"] = verdict(scores, trained_label, twin_label, intervals=intervals)
    markdown = publication["markdown"]
    start, end = markdown.index(SCORES_HEADING), markdown.index(SCORES_END)
    publication["markdown"] = markdown[:start] + score_lines(scores, trained_label, twin_label, intervals,
                                                             publication.get("litert_losses")) + markdown[end:]
    card["probe_scores"] = _flat_scores(scores[trained_label])
    write_model_card(folder, card)
    return publication["verdict"]


def relicense_published(folder, corpus_root=None):
    """Rewrite a published card's training-data section (each package's licences: those of its files
    in the pool, from the corpus' provenance) with the weights' licence
    (`licences.decide_weights_licence`) and write its `provenance.csv.gz` from the corpus it trained on
    (weights and graphs untouched). Returns the licence."""
    from zoo.data.corpora.open_audio import default_root
    from zoo.export.model_card import write_model_card
    from zoo.workflows.licences import pool_rows, write_attribution
    with open(os.path.join(folder, "model_card.json")) as f:
        card = json.load(f)
    publication = card["publication"]
    corpus_root = corpus_root or default_root()
    corpus = corpus_facts(corpus_root)
    if abs(corpus["pool_hours"] - publication["corpus"]["pool_hours"]) > 0.01:
        raise ValueError(f"{folder}: trained on a {publication['corpus']['pool_hours']}-hour pool, but the corpus "
                         f"at {corpus_root} has {corpus['pool_hours']} hours; rebuild the corpus it trained on")
    for package, entry in publication["corpus"]["packages"].items():      # each file's own licence
        entry["licence"] = corpus["packages"][package]["licence"]
    weights = run_weights_licence(publication["corpus"], publication["pretrain_config"])
    publication["weights_licence"] = weights
    markdown = publication["markdown"]
    publication["markdown"] = markdown[:markdown.index(SCORES_END)] + data_lines(publication["corpus"], weights)
    write_attribution(folder, pool_rows(corpus_root))
    write_model_card(folder, card)
    return weights["licence"]
