"""`hares-zoo encoders`: the registry as a table (no model is built)."""

from absl import flags

from zoo.registry import encoder_info, list_encoders

FLAGS = flags.FLAGS
flags.DEFINE_string("family", None, "Only list encoders of this family (e.g. baseline).")


def main(argv):
    del argv
    print("| name | family | input | params (ours) | params (paper) | embedding | frame hop (s) |")
    print("|---|---|---|---|---|---|---|")
    for name in list_encoders(FLAGS.family):
        i = encoder_info(name)
        print(f"| {name} | {i['family']} | {i['input_kind']} | {i['num_params']:,} | "
              f"{i['paper_params'] or '-'} | {i['embedding_size']} | {i['frame_hop_seconds']:g} |")
