"""Acceptance checks of an export, run at the end of every export and by the tests; the returned
figures go into the model card.

Every consumer door is compared with the Keras model on the same clips: `hub.load` (and its
`serving_default` signature), `keras.layers.TFSMLayer`, `hub.KerasLayer(trainable=True)` under
tf_keras (one training step must change the weights), and each LiteRT file. Errors are relative:
`max |x - reference| / max |reference|` over the batch.
"""

import os

import numpy as np
import tensorflow as tf

from zoo import audio_constants as ac
from zoo.data import minihares
from zoo.export.tflite import CALIBRATED

SAVED_MODEL_TOLERANCE = 1e-5     # hub.load / TFSMLayer vs Keras, relative (issue 5)
TFLITE_FLOAT_TOLERANCE = 1e-4    # LiteRT float32 vs SavedModel, relative
INT8_MIN_COSINE = 0.99           # LiteRT dynamic-range int8 vs SavedModel, per clip (required); the full-
                                 # integer file is measured against it and reported, not refused
SPEED_THREADS = 2                # LiteRT threads for the checks and the speed figure on the card
CHECK_LENGTHS_SECONDS = (1 / ac.SAMPLE_RATE, 0.5, 10.0)
LITERT_CHECK_LENGTHS = (ac.SAMPLE_RATE // 2, ac.SAMPLE_RATE, 2 * ac.SAMPLE_RATE + 123)   # samples, resizable files


def real_like_clips(samples, count=6, seed=0):
    """`count` mini-HARES clips (one per task, cycling) tiled or cut to `samples`: float32 `[count, samples]`."""
    clips = []
    for i in range(count):
        task = minihares.TASKS[i % len(minihares.TASKS)]
        clip = minihares.synthesize(task.name, task.classes[i % len(task.classes)], "test", i, seed=seed)
        clips.append(np.resize(clip, samples))
    return np.stack(clips).astype(np.float32)


def relative_error(got, reference):
    got, reference = np.asarray(got, np.float64), np.asarray(reference, np.float64)
    return float(np.max(np.abs(got - reference)) / max(np.max(np.abs(reference)), 1e-12))


def cosine_similarities(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return np.sum(a * b, -1) / np.maximum(np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1), 1e-12)


def _errors(outputs, reference):
    return {key: relative_error(outputs[key], reference[key]) for key in ("embedding", "frame_embeddings")}


def _raises(fn):
    """The message of the refusal `fn()` raises, or None if it returns. Only the refusals the contract
    promises count: an `InvalidArgumentError` from the graph's input checks (NaN/Inf, empty clips), or
    the `ValueError`/`TypeError` of a call that matches no signature (wrong rank or dtype); any other
    error is a bug and propagates."""
    try:
        fn()
    except (tf.errors.InvalidArgumentError, ValueError, TypeError) as error:
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        named = [line for line in lines if "waveform" in line and "[[" not in line]
        first = lines[0] if lines else ""
        detail = f" {named[0]}" if named and named[0] != first else ""
        return f"{type(error).__name__}: {first[:200]}{detail[:200]}"
    return None


def check_saved_model(export_dir, loaded, encoder, clips):
    """Parity of `loaded` (the folder through `hub.load`), its signature and `TFSMLayer` with
    `encoder`; lengths; bad input."""
    import keras
    reference = {k: v.numpy() for k, v in encoder(clips, training=False).items()}
    results = {"hub_load": _errors({k: v.numpy() for k, v in loaded(clips).items()}, reference)}
    signature = loaded.signatures["serving_default"]
    results["serving_default"] = _errors({k: v.numpy() for k, v in signature(waveform=tf.constant(clips)).items()},
                                         reference)
    layer = keras.layers.TFSMLayer(export_dir, call_endpoint="serving_default")
    results["tfsm_layer"] = _errors({k: np.asarray(v) for k, v in layer(clips).items()}, reference)
    lengths = {}
    for seconds in CHECK_LENGTHS_SECONDS:
        samples = max(1, int(round(seconds * ac.SAMPLE_RATE)))
        out = loaded(tf.constant(np.resize(clips[:1], (1, samples))))
        lengths[f"{samples} samples"] = {
            "frames": int(out["frame_embeddings"].shape[1]),
            "finite": bool(np.all(np.isfinite(out["embedding"].numpy())))}
    results["lengths"] = lengths
    embedding_size = int(loaded.embedding_size.numpy())
    results["bad_input"] = {
        "rank 1": _raises(lambda: loaded(tf.constant(clips[0]))),
        "int16": _raises(lambda: loaded(tf.constant((clips * 32767).astype(np.int16)))),
        "NaN sample": _raises(lambda: loaded(tf.constant(np.where(np.arange(clips.shape[1]) == 7, np.nan,
                                                                  clips).astype(np.float32)))),
        "0 samples": _raises(lambda: loaded(tf.zeros([1, 0]))),
    }
    results["log_mel_frames"] = int(loaded.signatures["log_mel"](waveform=tf.constant(clips))["log_mel"].shape[1])
    results["passed"] = bool(
        max(max(r.values()) for r in (results["hub_load"], results["serving_default"], results["tfsm_layer"]))
        <= SAVED_MODEL_TOLERANCE
        and all(v["finite"] and v["frames"] >= 1 for v in lengths.values())
        and all(results["bad_input"].values())
        and embedding_size == reference["embedding"].shape[-1])
    return results


def check_fine_tuning(export_dir, loaded, samples=ac.SAMPLE_RATE // 2):
    """`hub.KerasLayer(trainable=True)` inside a tf_keras model: one SGD step changes the weights.
    The layer loads its own copy of the folder, so `loaded` (read only here) keeps the export's weights."""
    try:
        import tf_keras
    except ImportError:
        return {"checked": False, "reason": "tf_keras is not installed (pip install tf-keras)"}
    import tensorflow_hub as hub
    if not loaded.trainable_variables:
        return {"checked": False, "reason": "the encoder has no trainable weights"}
    layer = hub.KerasLayer(export_dir, trainable=True, output_key="embedding")
    model = tf_keras.Sequential([tf_keras.layers.InputLayer(input_shape=(samples,)), layer,
                                 tf_keras.layers.Dense(2)])
    model.compile(optimizer=tf_keras.optimizers.SGD(0.1),
                  loss=tf_keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    before = [v.numpy().copy() for v in layer.trainable_weights]
    rng = np.random.default_rng(0)
    loss = model.train_on_batch(rng.uniform(-0.5, 0.5, (4, samples)).astype(np.float32), np.array([0, 1, 0, 1]))
    changed = sum(not np.array_equal(b, v.numpy()) for b, v in zip(before, layer.trainable_weights))
    return {"checked": True, "trainable_weights": len(before), "changed_weights": int(changed),
            "loss_finite": bool(np.isfinite(loss)), "passed": bool(changed > 0 and np.isfinite(loss))}


def check_tflite(paths, loaded, lengths):
    """Each LiteRT file vs the SavedModel on real-like clips of each of `lengths` (samples): one clip at
    a time, and for a resizable file also the clips of each length in one batched call. Without the
    LiteRT runtime (`ai-edge-litert` has no wheel for some platforms) each file is reported as not
    checked, with the reason, instead of failing the export."""
    import importlib.util
    if importlib.util.find_spec("ai_edge_litert") is None:
        reason = "ai-edge-litert is not installed (pip install ai-edge-litert)"
        return {quantization: {"checked": False, "reason": reason} for quantization in paths}
    from zoo.export.tflite import LiteRTEncoder
    clip_sets = [real_like_clips(int(n), count=3, seed=i) for i, n in enumerate(lengths)]
    references = [{k: v.numpy() for k, v in loaded(tf.constant(clips)).items()} for clips in clip_sets]
    results = {}
    for quantization, path in paths.items():
        lite = LiteRTEncoder(path, num_threads=SPEED_THREADS)
        got, want, cosine = {"embedding": [], "frame_embeddings": []}, {"embedding": [], "frame_embeddings": []}, []
        for clips, reference in zip(clip_sets, references):
            one_by_one = [lite.run(clip[None]) for clip in clips]
            calls = [{k: np.concatenate([r[k] for r in one_by_one]) for k in got}]
            if lite.resizable:
                calls.append(lite.run(clips))
            for outputs in calls:
                for key in got:
                    got[key].append(outputs[key].reshape(-1))
                    want[key].append(reference[key].reshape(-1))
            cosine.append(cosine_similarities(calls[0]["embedding"], reference["embedding"]))
        cosine = np.concatenate(cosine)
        nan_clip = clip_sets[0][:1].copy()
        nan_clip[0, ::97] = np.nan
        nan_out = lite.run(nan_clip)["embedding"]
        entry = {"embedding_relative_error": relative_error(np.concatenate(got["embedding"]),
                                                            np.concatenate(want["embedding"])),
                 "frame_embeddings_relative_error": relative_error(np.concatenate(got["frame_embeddings"]),
                                                                   np.concatenate(want["frame_embeddings"])),
                 "min_cosine": float(np.min(cosine)),
                 "lengths": [int(n) for n in lengths], "batched": bool(lite.resizable),
                 "finite": bool(all(np.all(np.isfinite(v)) for values in got.values() for v in values)),
                 "nan_input_gives_finite_output": bool(np.all(np.isfinite(nan_out))),
                 "ms_per_call": best_ms(lambda: lite.run(clip_sets[-1][:1])),
                 "speed_clip_seconds": int(lengths[-1]) / ac.SAMPLE_RATE, "speed_threads": SPEED_THREADS}
        entry["bytes"] = os.path.getsize(path)
        if quantization == "float32":
            entry["passed"] = entry["embedding_relative_error"] <= TFLITE_FLOAT_TOLERANCE
        elif quantization in CALIBRATED:      # reported on real clips (check_real_clips), never refused
            entry["passed"] = True
        else:
            entry["passed"] = entry["min_cosine"] >= INT8_MIN_COSINE
        entry["passed"] = bool(entry["passed"] and entry["finite"] and entry["nan_input_gives_finite_output"])
        results[quantization] = entry
    if results.get("float32", {}).get("ms_per_call"):
        for entry in results.values():
            entry["speed_vs_float32"] = results["float32"]["ms_per_call"] / entry["ms_per_call"]
    return results


def check_real_clips(paths, loaded, clips, source):
    """The cosine of each LiteRT file's embedding to the SavedModel's on real `clips` (float32
    `[samples]` arrays of `source`, one a call), into {quantization: {"source", "clips",
    "min_cosine", "mean_cosine", "keeps_embedding"}}; `keeps_embedding`: min >= INT8_MIN_COSINE."""
    from zoo.export.tflite import LiteRTEncoder
    reference = np.concatenate([loaded(tf.constant(clip[None]))["embedding"].numpy() for clip in clips])
    results = {}
    for quantization, path in paths.items():
        lite = LiteRTEncoder(path, num_threads=SPEED_THREADS)
        got = np.concatenate([lite.run(clip[None])["embedding"] for clip in clips])
        cosine = cosine_similarities(got, reference)
        results[quantization] = {"source": source, "clips": len(clips), "min_cosine": float(cosine.min()),
                                 "mean_cosine": float(cosine.mean()),
                                 "keeps_embedding": bool(cosine.min() >= INT8_MIN_COSINE)}
    return results


def best_ms(call, calls=3, repeats=3, warmup=1):
    """Milliseconds per call of `call()`: the best of `repeats` runs of `calls` calls after `warmup`
    untimed ones (at export: a guide on whatever the machine is doing then, not a benchmark)."""
    import time
    for _ in range(warmup):
        call()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            call()
        best = min(best, (time.perf_counter() - start) / calls * 1000)
    return best
