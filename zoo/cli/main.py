"""`hares-zoo SUBCOMMAND [--flags]`; `hares-zoo SUBCOMMAND --help` explains every flag.

Each subcommand is a module of `zoo.cli` that defines its absl flags and a `main(argv)`; only the
chosen module is imported, so `--help` lists that subcommand's flags alone.
"""

import importlib
import os
import sys

SUBCOMMANDS = {
    "demo": ("zoo.cli.demo", "the main job: mini-HARES -> SimCLR pretraining -> export -> probe table and plot"),
    "prepare": ("zoo.cli.prepare", "manifest (or a built-in corpus: mini-HARES, open-audio) -> sharded TFRecords"),
    "pretrain": ("zoo.cli.pretrain", "pretrain an encoder with SimCLR, BYOL or labels; resumable"),
    "probe": ("zoo.cli.probe", "score encoders (names, .keras, SavedModels) with the HARES linear probe"),
    "export": ("zoo.cli.export", "encoder -> verified SavedModel + LiteRT files + model card"),
    "publish": ("zoo.cli.publish", "pretraining run -> scored, verified, published encoder with its model card"),
    "bench": ("zoo.cli.bench", "--peers: published encoders beside BirdNET, log-mel and librosa (table + PNG)"),
    "encoders": ("zoo.cli.encoders", "list the registered encoders and their metadata"),
}

PROBING = ("demo", "probe", "publish", "bench")     # subcommands that train probe heads


def usage():
    lines = ["usage: hares-zoo SUBCOMMAND [--flags]   (hares-zoo SUBCOMMAND --help for its flags)", "",
             "subcommands:"]
    lines += [f"  {name:<10} {text}" for name, (_, text) in SUBCOMMANDS.items()]
    return "\n".join(lines)


def run(argv=None):
    argv = list(sys.argv if argv is None else argv)
    if len(argv) < 2 or argv[1] in ("-h", "--help", "help"):
        print(usage())
        return 0
    name = argv[1]
    if name not in SUBCOMMANDS:
        print(f"hares-zoo: unknown subcommand {name!r}\n\n{usage()}", file=sys.stderr)
        return 2
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if name in PROBING:
        from zoo import xla_cache
        xla_cache.enable()      # compiled probe loops persist on disk (before any TensorFlow work)
    from absl import app, flags
    module = importlib.import_module(SUBCOMMANDS[name][0])
    if any(a in ("-h", "--help", "-help", "--helpshort") for a in argv[2:]):
        print(f"usage: hares-zoo {name} [--flags]\n\n{(module.__doc__ or '').strip()}\n")
        print(flags.FLAGS.module_help(module.__name__))
        return 0
    app.run(module.main, argv=[f"hares-zoo {name}"] + argv[2:])
    return 0


if __name__ == "__main__":
    sys.exit(run())
