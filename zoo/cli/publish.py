"""`hares-zoo publish`: a finished pretraining run -> a published encoder with an honest model card.

Probes the run's encoder, its random-initialisation twin and the log-mel baselines (`logmel`,
`logmel_stats`) on mini-HARES, the open-audio suite and the cross-source suite (same clips, same
probe; the verdict comes from cross-source), exports the encoder (SavedModel, LiteRT float32 and
dynamic-range int8 by default, parity checks) to OUT_ROOT/<encoder>-<objective>-open-audio/ and writes a model card with the
scores, a verdict, the corpus' hours and licences, the hyperparameters and the commands that
reproduce it. Build the corpora first: `hares-zoo prepare --corpus=open-audio` and
`hares-zoo prepare --corpus=cross-source`.

    hares-zoo publish --run=runs/nf_slowfast_tiny-simclr
    hares-zoo publish --reexport=all        # the published folders again, with the current export code
    hares-zoo publish --rescore=all         # new cross-source scores and verdict in the published cards
    hares-zoo publish --relicense=all       # the weights' licence and provenance.csv.gz, cards rewritten
"""

import sys

from absl import flags

FLAGS = flags.FLAGS
flags.DEFINE_string("run", None, "A finished `hares-zoo pretrain` run folder (with encoder.keras and "
                    "pretrain_config.json).")
flags.DEFINE_list("reexport", [], "Published encoders (names, or `all`) to export again in place with the "
                  "current export code: same weights and card facts, new graphs and parity figures.")
flags.DEFINE_string("name", None, "With --run: the published name (default: <encoder>-<objective>-open-audio; give "
                    "one when the run overrides the encoder's options, e.g. nf_slowfast_tiny_fine_std-simclr-open-audio).")
flags.DEFINE_string("serving_options", None, "With --run: JSON object of encoder options that add no weights, "
                    "applied before scoring and export, e.g. '{\"pooling\": \"mean_absdev\"}' to serve a Slowfast NFNet "
                    "pretrained with mean_max pooling (which the serving contract does not allow).")
flags.DEFINE_list("rescore", [], "Published encoders (names, or `all`) to probe again on --rescore_suites "
                  "(with their twins, logmel and logmel_stats) and whose cards get the new scores and verdict; "
                  "weights and graphs are left as they are.")
flags.DEFINE_list("relicense", [], "Published encoders (names, or `all`) whose cards get the weights' licence "
                  "decided from their training data and teachers (zoo/workflows/licences.py) and whose folders get "
                  "provenance.csv.gz (the attribution) from --corpus; weights, graphs and scores untouched.")
flags.DEFINE_list("rescore_suites", ["cross-source"], "Suites for --rescore: mini, open-audio, cross-source.")
flags.DEFINE_string("out_root", None, "Where the published folder goes (default: zoo.published.published_dir(), the package's zoo/assets/published in a checkout).")
flags.DEFINE_string("corpus", None, "The open-audio corpus folder (default: the cache's open-audio/).")
flags.DEFINE_enum("size", "default", ["tiny", "small", "default"], "mini-HARES size for the scores.")
flags.DEFINE_integer("probe_steps", 1500, "Linear-probe training steps per task (the published cards: 1500).")
flags.DEFINE_float("probe_learning_rate", 1e-3, "Linear-probe peak learning rate (the published cards: 1e-3; the paper and `hares-zoo probe`: 2e-4 with 20,000+ steps, within a point of it on these suites).")
flags.DEFINE_list("quantizations", ["float32", "int8_dynamic"], "LiteRT files to write and check: float32, int8_dynamic, "
                  "int8 (full integer, calibrated on the run's training corpus), float16; empty: none.")


def main(argv):
    del argv
    from zoo.errors import ZooError
    from zoo.export.bundle import summarize_parity
    from zoo.workflows.publish import publish_run
    from zoo.hares.linear_probe import ProbeSettings
    if sum(map(bool, (FLAGS.run, FLAGS.reexport, FLAGS.rescore, FLAGS.relicense))) != 1:
        sys.exit("hares-zoo publish: give exactly one of --run, --reexport, --rescore or --relicense")
    if FLAGS.reexport:
        return _reexport()
    if FLAGS.relicense:
        return _relicense()
    if FLAGS.rescore:
        return _rescore(ProbeSettings(steps=FLAGS.probe_steps, peak_learning_rate=FLAGS.probe_learning_rate))
    try:
        out_dir, facts = publish_run(FLAGS.run, FLAGS.out_root, FLAGS.corpus, FLAGS.size,
                                     ProbeSettings(steps=FLAGS.probe_steps, peak_learning_rate=FLAGS.probe_learning_rate), tuple(FLAGS.quantizations),
                                     name=FLAGS.name, serving_options=_json_object(FLAGS.serving_options))
    except ZooError as error:
        sys.exit(f"hares-zoo publish: {error}")
    print("\n".join(facts["publication"]["markdown"]))
    print("\n".join(summarize_parity(facts)))
    print(f"\npublished {out_dir}")


def _reexport():
    import zoo
    from zoo.errors import ZooError
    from zoo.export.bundle import summarize_parity
    from zoo.workflows.maintain import reexport_published
    try:
        for name in _published_names(FLAGS.reexport):
            facts = reexport_published(zoo.published_path(name), tuple(FLAGS.quantizations))
            print("\n".join([f"{name}:"] + summarize_parity(facts)), flush=True)
    except ZooError as error:
        sys.exit(f"hares-zoo publish: {error}")


def _relicense():
    import zoo
    from zoo.errors import ZooError
    from zoo.workflows.maintain import relicense_published
    try:
        for name in _published_names(FLAGS.relicense):
            print(f"{name}: weights licence {relicense_published(zoo.published_path(name), FLAGS.corpus)}", flush=True)
    except (ZooError, ValueError) as error:
        sys.exit(f"hares-zoo publish: {error}")


def _json_object(text):
    import json

    from zoo.errors import ConfigError
    if not text:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigError(f"--serving_options: not JSON ({error}): {text!r}")
    if not isinstance(value, dict):
        raise ConfigError(f"--serving_options: expected a JSON object, got {text!r}")
    return value


def _published_names(asked):
    import zoo
    from zoo.errors import UnknownNameError
    names = zoo.list_published() if asked == ["all"] else asked
    for name in names:
        if name not in zoo.list_published():
            raise UnknownNameError(f"no published encoder {name!r}; published: {', '.join(zoo.list_published())}")
    return names


def _rescore(settings):
    import zoo
    from zoo.errors import ConfigError, ZooError
    from zoo.workflows.maintain import rescore_published
    from zoo.workflows.scoring import SUITES
    try:
        unknown = [s for s in FLAGS.rescore_suites if s not in SUITES]
        if unknown:
            raise ConfigError(f"--rescore_suites: unknown suite(s) {unknown}; expected {', '.join(SUITES)}")
        for name in _published_names(FLAGS.rescore):
            print(f"{name}: " + rescore_published(zoo.published_path(name), tuple(FLAGS.rescore_suites), settings),
                  flush=True)
    except ZooError as error:
        sys.exit(f"hares-zoo publish: {error}")
