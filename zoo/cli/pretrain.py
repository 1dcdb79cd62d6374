"""`hares-zoo pretrain`: pretrain any registered encoder with SimCLR, BYOL or supervised labels.

Data: TFRecord shards (`--shards`, from `hares-zoo prepare`), a CSV manifest (`--manifest`, sharded
into MODEL_DIR/data first), or the generated mini-HARES corpus (`--corpus mini-hares`: its unlabelled
pool for SimCLR/BYOL, the train split of `--task` for supervised). Writes TensorBoard logs
(MODEL_DIR/logs), checkpoints every --checkpoint_every steps, and MODEL_DIR/encoder.keras at the end.
Run the same command again after an interruption and it resumes from the last checkpoint.

    hares-zoo pretrain --encoder=nf_slowfast_tiny --objective=simclr --corpus=mini-hares \\
        --steps=2000 --batch_size=64 --model_dir=runs/sf_tiny_simclr
"""

import json
import os
import sys

from absl import flags

from zoo.pretrain.run import OBJECTIVES, STRATEGIES

FLAGS = flags.FLAGS
flags.DEFINE_string("encoder", "nf_slowfast_tiny", "Registered encoder to pretrain (hares-zoo encoders lists them).")
flags.DEFINE_string("encoder_overrides", "{}", "JSON dict of create_encoder overrides, e.g. '{\"n_mels\": 128}'.")
flags.DEFINE_enum("objective", "simclr", list(OBJECTIVES), "simclr: NT-Xent on two crops; byol: EMA target "
                  "network; supervised: cross-entropy on the data's labels.")
flags.DEFINE_string("shards", None, "Folder of TFRecord shards written by `hares-zoo prepare`.")
flags.DEFINE_string("manifest", None, "CSV manifest (path,label[,split]) to shard into MODEL_DIR/data and train on.")
flags.DEFINE_enum("corpus", None, ["mini-hares", "open-audio"], "Train on a built-in corpus: mini-hares (generated, "
                  "cached) or open-audio (its pretraining pool; build it first with `hares-zoo prepare "
                  "--corpus=open-audio`; probe files are never in the pool).")
flags.DEFINE_enum("size", "default", ["tiny", "small", "default"], "mini-HARES size, with --corpus.")
flags.DEFINE_string("task", "speech_keyword", "mini-HARES task whose labels supervised pretraining uses.")
flags.DEFINE_string("split", "train", "Split of the shards to train on.")
flags.DEFINE_float("crop_seconds", 3.0, "Length of each random crop (view) in seconds; the paper uses 3 s.")
flags.DEFINE_integer("batch_size", 32, "Global batch size over all replicas (paper: 4096 SimCLR, 1024 supervised).")
flags.DEFINE_integer("steps", 1000, "Total optimizer steps (paper: 200k SimCLR, 100k supervised).")
flags.DEFINE_float("learning_rate", 1e-4, "Peak learning rate after warm-up (paper appendix C: 1e-4).")
flags.DEFINE_integer("warmup_steps", 5000, "Linear warm-up steps before the cosine decay to 0 (capped at --steps).")
flags.DEFINE_enum("optimizer", "adam", ["adam", "lars"], "adam (AdamW with --weight_decay > 0) or lars.")
flags.DEFINE_float("weight_decay", 0.0, "Decoupled weight decay (0: none, as the paper).")
flags.DEFINE_float("agc_clip", 0.0, "Adaptive gradient clipping threshold (0: off, as the paper; NFNets use 0.01).")
flags.DEFINE_bool("mixing", True, "Example mixing with ratio ~ Beta(5, 2), as the paper.")
flags.DEFINE_bool("shared_crop", False, "SimCLR/BYOL: both views from one random crop, made different only by "
                  "the augmentations (BYOL-A's views); default: two independent crops of the clip, as the paper.")
flags.DEFINE_float("gain_db", 0.0, "Random gain of +-GAIN_DB dB per clip (0: off).")
flags.DEFINE_bool("spec_augment", False, "SpecAugment time/frequency masking after the frontend (log-mel encoders).")
flags.DEFINE_integer("projection_size", 0, "Projector output size (0: SimCLR 128, BYOL 256).")
flags.DEFINE_list("projector_hidden", [], "Projector hidden sizes (empty: SimCLR 4096,4096,4096; BYOL 4096).")
flags.DEFINE_float("temperature", 0.1, "SimCLR NT-Xent temperature (paper: 0.1).")
flags.DEFINE_float("target_decay", 0.99, "BYOL EMA decay at step 0, raised to 1 by a cosine.")
flags.DEFINE_bool("multi_label", False, "Supervised: sigmoid cross-entropy per class (AudioSet) instead of softmax.")
flags.DEFINE_bool("mixed_precision", False, "mixed_bfloat16 on CPU/TPU, mixed_float16 on GPU.")
flags.DEFINE_enum("strategy", "default", list(STRATEGIES), "default: one device; mirrored: all local GPUs; "
                  "multi_worker: MultiWorkerMirroredStrategy from TF_CONFIG; tpu: TPUStrategy (--tpu).")
flags.DEFINE_string("tpu", "", "TPU name or address, with --strategy=tpu.")
flags.DEFINE_string("model_dir", None, "Run folder: checkpoints, TensorBoard logs, encoder.keras (required).")
flags.DEFINE_integer("checkpoint_every", 100, "Steps between checkpoints.")
flags.DEFINE_integer("snapshot_every", 0, "Steps between snapshots of the encoder alone (MODEL_DIR/snapshots/"
                     "encoder-stepNNNNNN.keras), for probe-accuracy-against-step curves; 0: none.")
flags.DEFINE_integer("log_every", 10, "Steps between TensorBoard scalar writes.")
flags.DEFINE_integer("seed", 0, "Seed of data order and augmentations.")
flags.DEFINE_bool("jit_compile", False, "XLA-compile the train step.")
flags.DEFINE_integer("workers", 2, "Processes for decoding audio when sharding --manifest or --corpus.")
flags.mark_flag_as_required("model_dir")


def resolve_shards():
    """The shard folder the chosen data flag points to (sharding it first when needed)."""
    given = [f for f in ("shards", "manifest", "corpus") if getattr(FLAGS, f)]
    if len(given) != 1:
        sys.exit("hares-zoo pretrain: give exactly one of --shards, --manifest or --corpus")
    if FLAGS.shards:
        return FLAGS.shards
    if FLAGS.manifest:
        from zoo.data.prepare import prepare_shards
        out = os.path.join(FLAGS.model_dir, "data")
        report = prepare_shards(FLAGS.manifest, out, workers=FLAGS.workers)
        print(report.summary())
        return out
    from zoo.cache import cache_dir
    if FLAGS.corpus == "open-audio":
        from zoo.data.corpora.open_audio import pool_folder
        if FLAGS.objective == "supervised":
            sys.exit("hares-zoo pretrain: the open-audio pool is unlabelled; use simclr or byol")
        try:
            return pool_folder()
        except FileNotFoundError as error:
            sys.exit(f"hares-zoo pretrain: {error}")
    from zoo.hares.mini import prepare_minihares
    folders = prepare_minihares(os.path.join(cache_dir(), f"mini-hares-{FLAGS.size}"), FLAGS.size,
                                workers=FLAGS.workers)
    if FLAGS.objective == "supervised":
        if FLAGS.task not in folders:
            sys.exit(f"hares-zoo pretrain: unknown --task {FLAGS.task!r}; choose one of {sorted(folders)}")
        return folders[FLAGS.task]
    return folders["pool"]


def main(argv):
    del argv
    from zoo.pretrain.run import PretrainConfig, make_strategy, pretrain
    strategy = make_strategy(FLAGS.strategy, FLAGS.tpu)   # before any other TF work (multi-worker)
    cfg = PretrainConfig(
        encoder=FLAGS.encoder, objective=FLAGS.objective, shards=resolve_shards(), model_dir=FLAGS.model_dir,
        split=FLAGS.split, crop_seconds=FLAGS.crop_seconds, batch_size=FLAGS.batch_size, steps=FLAGS.steps,
        learning_rate=FLAGS.learning_rate, warmup_steps=FLAGS.warmup_steps, optimizer=FLAGS.optimizer,
        weight_decay=FLAGS.weight_decay, agc_clip=FLAGS.agc_clip, mixing=FLAGS.mixing, gain_db=FLAGS.gain_db,
        shared_crop=FLAGS.shared_crop,
        spec_augment=FLAGS.spec_augment, projection_size=FLAGS.projection_size,
        projector_hidden=tuple(int(h) for h in FLAGS.projector_hidden), temperature=FLAGS.temperature,
        target_decay=FLAGS.target_decay, multi_label=FLAGS.multi_label, mixed_precision=FLAGS.mixed_precision,
        strategy=FLAGS.strategy, tpu=FLAGS.tpu, checkpoint_every=FLAGS.checkpoint_every,
        snapshot_every=FLAGS.snapshot_every, log_every=FLAGS.log_every,
        seed=FLAGS.seed, jit_compile=FLAGS.jit_compile, verbose=1 if sys.stdout.isatty() else 2,
        encoder_overrides=json.loads(FLAGS.encoder_overrides))
    from zoo.errors import ZooError
    try:
        result = pretrain(cfg, strategy)
    except (ZooError, ValueError) as error:   # bad names, missing shards, bad options: no traceback
        sys.exit(f"hares-zoo pretrain: {error}")
    print(f"trained {cfg.encoder} with {cfg.objective} to step {result['steps']}; encoder: {result['encoder_path']}")
