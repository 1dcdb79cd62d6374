"""`hares-zoo prepare`: a CSV manifest, a HARES data set in its published layout, or a built-in
corpus -> TFRecord shards.

    hares-zoo prepare --manifest=my_sounds/manifest.csv --out=/data/hares/my_sounds
    hares-zoo prepare --task=esc50 --source=/data/ESC-50-master --data_dir=/data/hares
    hares-zoo prepare --task=speech_commands_v1,nsynth_pitch --source=~/tensorflow_datasets --data_dir=/data/hares
    hares-zoo prepare --corpus=open-audio
    hares-zoo prepare --corpus=open-audio-xl
    hares-zoo prepare --corpus=cross-source

Bad files are reported by name and skipped; rerunning the same command resumes an interrupted job.
"""

import sys

from absl import flags

from zoo import audio_constants as ac

FLAGS = flags.FLAGS
flags.DEFINE_string("manifest", None, "CSV manifest (columns path,label[,split][,start,end]; see "
                    "zoo/data/manifest.py). Paths are relative to the manifest's folder.")
flags.DEFINE_list("task", None, "Instead of --manifest: HARES task(s) to shard from a local copy of their "
                  "data set in its published layout (--source), into --data_dir/<task>/. Adapted tasks: "
                  "audioset, birdsong, tut18, esc50, speech_commands_v1/_v2, fluent_speech_commands, voxforge "
                  "(TFDS), voxceleb, nsynth_instrument, nsynth_pitch, magnatagatune. A wrong --source prints "
                  "the expected layout.")
flags.DEFINE_string("source", None, "With --task: the data set's folder (e.g. ESC-50-master/), or a TFDS "
                    "data_dir for sets TFDS has (speech_commands, nsynth, voxforge, voxceleb). Nothing is "
                    "downloaded.")
flags.DEFINE_enum("format", "auto", ["auto", "files", "tfds"], "With --task: read the release files or a "
                  "prepared TFDS data set; auto picks TFDS when <source>/<tfds name>/ exists.")
flags.DEFINE_string("data_dir", None, "With --task: the HARES data folder; each task goes to <data_dir>/<task>/ "
                    "(what `hares-zoo probe --data_dir` reads).")
flags.DEFINE_integer("max_per_split", None, "With --task and TFDS: at most this many examples per split.")
flags.DEFINE_enum("corpus", None, ["mini-hares", "open-audio", "open-audio-xl", "cross-source"], "Instead of "
                  "--manifest: build and shard a built-in corpus. mini-hares: the embedded synthetic benchmark. "
                  "open-audio: real recordings from five Debian packages, the pretraining pool and its in-domain "
                  "probe tasks (zoo/data/corpora/open_audio.py). open-audio-xl: that pool plus 27 more packages "
                  "(speech in 6 languages, music, effects), a pool only (zoo/data/corpora/open_audio_xl.py). "
                  "cross-source: probe tasks from five other packages that pretraining never reads "
                  "(zoo/data/corpora/cross_source.py). The real-audio corpora obtain their packages with "
                  "apt-get download or read them from --debs; --out defaults to the cache.")
flags.DEFINE_string("debs", None, "With a real-audio --corpus: folder of already downloaded .deb files "
                    "(PACKAGE_VERSION_all.deb). Packages not found there are fetched with apt-get download "
                    "into it, unless --nodownload. Default: the cache's debs/ folder.")
flags.DEFINE_bool("download", True, "With a real-audio --corpus: run apt-get download for packages that "
                  "are not in --debs. --nodownload reports them as missing and goes on.")
flags.DEFINE_list("packages", None, "With a real-audio --corpus: only these packages (default: "
                  "all of the corpus; a package of the other side is refused).")
flags.DEFINE_enum("size", "default", ["tiny", "small", "default"], "mini-HARES size (with --corpus mini-hares).")
flags.DEFINE_string("out", None, "Output folder for the shards and dataset_info.json (required, "
                    "except with a real-audio --corpus, which defaults to the cache).")
flags.DEFINE_integer("clips_per_shard", 256, "Clips per TFRecord shard.")
flags.DEFINE_integer("shuffle_seed", 0, "With --manifest: shuffle each split's clips with this seed before "
                     "cutting them into shards, so every shard (and every worker of a multi-worker run, which "
                     "reads shards of its own) holds a sample of the whole split; -1 keeps the manifest's order.")
flags.DEFINE_integer("workers", 2, "Decoding processes.")
flags.DEFINE_integer("sample_rate", ac.SAMPLE_RATE, "Sample rate (Hz) of the audio in the shards.")
flags.DEFINE_integer("seed", 0, "Seed of the generated corpus (with --corpus).")


def main(argv):
    del argv
    if sum(x is not None for x in (FLAGS.manifest, FLAGS.corpus, FLAGS.task)) != 1:
        sys.exit("hares-zoo prepare: give exactly one of --manifest, --task or --corpus")
    if FLAGS.task:
        from zoo.errors import ZooError
        from zoo.hares.adapters import prepare_task
        if not FLAGS.source or not FLAGS.data_dir:
            sys.exit("hares-zoo prepare: --task needs --source (the data set's folder) and --data_dir")
        try:
            for task in FLAGS.task:
                prepare_task(task, FLAGS.source, FLAGS.data_dir, FLAGS.format, FLAGS.workers,
                             FLAGS.clips_per_shard, max_per_split=FLAGS.max_per_split)
        except ZooError as error:
            sys.exit(f"hares-zoo prepare: {error}")
        return
    if FLAGS.corpus in ("open-audio", "open-audio-xl", "cross-source"):
        from zoo.data.corpora import cross_source, open_audio, open_audio_xl
        from zoo.errors import ZooError
        corpus, build = {"open-audio": (open_audio, open_audio.build_open_audio),
                         "open-audio-xl": (open_audio_xl, open_audio_xl.build_open_audio_xl),
                         "cross-source": (cross_source, cross_source.build_cross_source)}[FLAGS.corpus]
        try:
            report = build(FLAGS.out or corpus.default_root(), FLAGS.debs, FLAGS.download,
                           FLAGS.packages or corpus.PACKAGE_NAMES, FLAGS.workers)
        except ZooError as error:
            sys.exit(f"hares-zoo prepare: {error}")
        print(report.summary())
        return
    if FLAGS.out is None:
        sys.exit("hares-zoo prepare: --out is required")
    if FLAGS.corpus == "mini-hares":
        from zoo.hares.mini import prepare_minihares
        folders = prepare_minihares(FLAGS.out, FLAGS.size, FLAGS.seed, FLAGS.workers)
        for name, folder in folders.items():
            print(f"{name:<18} {folder}")
        return
    from zoo.data.prepare import prepare_shards
    report = prepare_shards(FLAGS.manifest, FLAGS.out, FLAGS.clips_per_shard, FLAGS.workers,
                            FLAGS.sample_rate, shuffle_seed=None if FLAGS.shuffle_seed < 0 else FLAGS.shuffle_seed)
    print(report.summary())
