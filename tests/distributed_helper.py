"""A few training steps of one objective on a fixed global batch, under one strategy (run as a
subprocess: the logical devices and TF_CONFIG must be set before TensorFlow starts). Writes the
per-step losses and the final trainable and target weights to OUT.

    python distributed_helper.py OBJECTIVE STRATEGY INIT.npz OUT.npz [AGC_CLIP [STEPS]]
        OBJECTIVE  simclr | byol | distill | supervised
        STRATEGY   one (one device) | mirrored (two logical CPU devices) | multi_worker (TF_CONFIG)

Plain SGD, so that weights differ only as much as gradients do. The initial weights come from INIT.npz when it exists (written by the `one` run otherwise), so every
strategy starts from the same point. Example mixing is off: its partners are drawn within each
replica's batch, so it cannot equal a one-device step by design.
"""

import os
import sys

import numpy as np

GLOBAL_BATCH, SAMPLES, STEPS, CLASSES, TARGET_DIMS = 8, 4000, 3, 3, (5, 7)


def fixed_data(objective):
    rng = np.random.default_rng(7)
    views = rng.uniform(-0.5, 0.5, (GLOBAL_BATCH, 2, SAMPLES)).astype(np.float32)
    if objective == "supervised":
        return {"waveform": views[:, 0], "labels": np.eye(CLASSES, dtype=np.float32)[np.arange(GLOBAL_BATCH) % CLASSES]}
    data = {"views": views}
    if objective == "distill":
        data["targets"] = rng.standard_normal((GLOBAL_BATCH, sum(TARGET_DIMS))).astype(np.float32)
    return data


def build(objective, agc_clip):
    import zoo
    from zoo.pretrain import BYOL, Distill, SimCLR, Supervised
    encoder = zoo.create_encoder("nfnet_tiny") if objective == "byol" else zoo.create_encoder("logmel_conv_tiny")
    common = dict(mixing=False, agc_clip=agc_clip, seed=0)
    if objective == "simclr":
        return SimCLR(encoder, projector_hidden=(16,), projection_size=8, **common)
    if objective == "byol":
        return BYOL(encoder, projector_hidden=(16,), projection_size=8, total_steps=STEPS, target_decay=0.9, **common)
    if objective == "distill":
        slices = {f"t{i}": (sum(TARGET_DIMS[:i]), sum(TARGET_DIMS[:i + 1])) for i in range(len(TARGET_DIMS))}
        return Distill(encoder, slices, contrastive_weight=1.0, projector_hidden=(16,), projection_size=8, **common)
    return Supervised(encoder, CLASSES, **common)


def main(objective, kind, init, out, agc="0", steps=str(STEPS)):
    import tensorflow as tf
    if kind == "mirrored":
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    elif kind == "multi_worker":
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
    else:
        strategy = tf.distribute.get_strategy()
    import keras
    keras.utils.set_random_seed(0)
    data = fixed_data(objective)
    dataset = tf.data.Dataset.from_tensors(data).repeat()
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    dataset = dataset.with_options(options)
    agc = float(agc)
    with strategy.scope():
        model = build(objective, agc)
        # Plain SGD: Adam divides each coordinate by its own gradient's size, so a gradient that is
        # rounding noise (1e-9 on one device, -1e-9 on two) becomes a full +-lr step either way.
        model.compile(optimizer=keras.optimizers.SGD(0.05))
        model.build_for({k: v[: GLOBAL_BATCH // strategy.num_replicas_in_sync] for k, v in data.items()})
    if os.path.exists(init):
        saved = np.load(init)
        model.set_weights([saved[f"w{i}"] for i in range(len(saved.files))])
    elif kind == "one":
        np.savez(init, **{f"w{i}": w for i, w in enumerate(model.get_weights())})
    losses, first = [], {}

    def after_batch(batch, logs):
        losses.append(float(np.mean(logs["loss"])))
        if batch == 0:          # the first update: (w1 - w0) / lr is the gradient
            first.update({f"first{i}": np.asarray(w) for i, w in enumerate(model.get_weights())})
    record = keras.callbacks.LambdaCallback(on_train_batch_end=after_batch)
    model.fit(dataset, epochs=1, steps_per_epoch=int(steps), verbose=0, callbacks=[record])
    weights = {f"w{i}": np.asarray(w) for i, w in enumerate(model.get_weights())}
    task = 0
    if kind == "multi_worker":
        import json
        task = json.loads(os.environ["TF_CONFIG"])["task"]["index"]
    if task == 0:
        np.savez(out, loss=np.asarray(losses), replicas=strategy.num_replicas_in_sync, **weights, **first)


if __name__ == "__main__":
    main(*sys.argv[1:])
