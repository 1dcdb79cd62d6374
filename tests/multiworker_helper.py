"""One worker of the two-worker tests (run as a subprocess with TF_CONFIG set): SimCLR steps under
MultiWorkerMirroredStrategy (3 by default, or STEPS with a checkpoint every CHECKPOINT_EVERY), then
this worker's encoder weights and metrics to OUT/worker<i>.npz.

    python multiworker_helper.py SHARDS MODEL_DIR OUT [STEPS CHECKPOINT_EVERY]"""

import json
import os
import sys


def main(shards, model_dir, out, steps="3", checkpoint_every="100"):
    import numpy as np
    import tensorflow as tf
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    from zoo.pretrain import PretrainConfig, pretrain
    cfg = PretrainConfig(encoder="logmel_conv_tiny", objective="simclr", shards=shards, model_dir=model_dir,
                         crop_seconds=0.5, batch_size=8, steps=int(steps), warmup_steps=1, projector_hidden=(32,),
                         projection_size=16, checkpoint_every=int(checkpoint_every), strategy="multi_worker", verbose=0)
    result = pretrain(cfg, strategy)
    task = json.loads(os.environ["TF_CONFIG"])["task"]["index"]
    weights = result["objective"].encoder.get_weights()
    np.savez(os.path.join(out, f"worker{task}.npz"), negatives=result["history"]["negatives"][-1],
             steps=result["steps"], **{f"w{i}": w for i, w in enumerate(weights)})


if __name__ == "__main__":
    main(*sys.argv[1:])
