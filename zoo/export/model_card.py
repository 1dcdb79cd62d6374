"""Model cards: `MODEL_CARD.md` for people and `model_card.json` for programs, beside every export.

`card_facts(...)` gathers the facts into a plain dict (the JSON); `write_model_card(out_dir, facts)`
writes both files. Sections: what the encoder is, how to call it in three lines, the input contract
(units, range, normalisation), how it was trained (or "random initialisation"), probe scores when
known, measured parity of every file, licence.
"""

import json
import os

from zoo import audio_constants as ac
from zoo.export.tflite import CALIBRATED
from zoo.export.verify import INT8_MIN_COSINE, SAVED_MODEL_TOLERANCE, TFLITE_FLOAT_TOLERANCE

CONTRACT_VERSION = "1"   # bump when the serving contract changes; published signatures never do
CODE_LICENCE = "Apache-2.0"


def card_facts(encoder, encoder_name, spec, training=None, probe_scores=None, tflite_input_shape=None):
    """Facts about an export, before verification (`parity` is added by the exporter)."""
    frontend = {"sample_rate_hz": ac.SAMPLE_RATE, "input": "float32 waveform [batch, samples] in [-1, 1], mono"}
    if spec.input_kind == "log-mel":
        frontend.update(kind="log-mel", window_seconds=ac.WINDOW_SECONDS, hop_seconds=ac.HOP_SECONDS,
                        fft_length=ac.FFT_LENGTH, n_mels=int(getattr(encoder, "n_mels", ac.N_MELS)),
                        fmin_hz=ac.MEL_FMIN, fmax_hz=ac.MEL_FMAX, log_offset=ac.LOG_OFFSET,
                        normalisation=("per-example standardisation inside the graph: (x - mean) / "
                                       f"max(std, {ac.SPECTROGRAM_STD_FLOOR}) over the whole spectrogram")
                        if getattr(encoder, "standardize", False) else "none")
    else:
        frontend.update(kind="learned waveform frontend (sinc band-pass filters)",
                        log_mel_signature="the default 80-bin log-mel, for inspection only (not the encoder's input)")
    return {
        "contract_version": CONTRACT_VERSION,
        "encoder_name": encoder_name,
        "family": spec.family,
        "description": spec.description,
        "parameters": int(encoder.count_params()),
        "embedding_size": int(encoder.embedding_size),
        "frame_hop_seconds": float(encoder.frame_hop_seconds),
        "min_samples": int(encoder.min_samples),
        "config": encoder.get_config(),
        "frontend": frontend,
        "outputs": {"embedding": "float32 [batch, D]: mean over time of the last layer (the HARES representation)",
                    "frame_embeddings": "float32 [batch, frames, D], one every frame_hop_seconds"},
        "training": training or {"objective": "random initialisation", "data": None, "steps": 0},
        "probe_scores": probe_scores or {},
        "tflite_input_shape": tflite_input_shape,      # [-1, -1]: any batch and length; None: no files
        "code_license": CODE_LICENCE,
        "license": CODE_LICENCE,       # the weights' (`weights_spdx`), set again by `write_model_card`
    }


def _usage(facts):
    shape = facts.get("tflite_input_shape")
    described = ("`[batch, samples]`, any batch and length (a signature runner resizes the input to each "
                 "call; `Interpreter.resize_tensor_input` by hand)" if shape == [-1, -1] else f"`{shape}`")
    litert = ("" if shape is None else
              "\nLiteRT: `tflite/encoder_float32.tflite` and `tflite/encoder_int8_dynamic.tflite` (and, where written, the full-integer `tflite/encoder_int8.tflite`), signature `serving_default`, "
              f"input `waveform` float32 {described}; `tflite/log_mel.tflite`, signature `log_mel`.")
    folded = ("" if facts.get("family") != "nfnet" else " (it fine-tunes the\ninference form the graphs "
              "serve: convolutions with their weight standardisation folded in;\n`encoder.keras` keeps the "
              "standardisation)")
    publication = facts.get("publication")
    keras_line = (f"Keras 3, pretrained and ready for `fit`: `zoo.create_encoder(weights=\"{publication['name']}\")`."
                  if publication else "")
    return f"""```python
import tensorflow_hub as hub                       # or tf.saved_model.load
encoder = hub.load("PATH/TO/THIS/FOLDER")
embedding = encoder(waveform)["embedding"]         # waveform: float32 [batch, samples], 16 kHz, in [-1, 1]
```

{keras_line}
`keras.layers.TFSMLayer(path, call_endpoint="serving_default", trainable=False)` wraps the SavedModel
as a Keras 3 layer (trainable unless told otherwise); `keras.saving.load_model(path + "/encoder.keras")`
gives the Keras model (install the zoo first: `pip install git+<repository URL>` or its wheel, then
`import zoo.encoders`, which registers the layers the file names).
tf_keras: `hub.KerasLayer(path, trainable=True, output_key="embedding")`{folded}.
Clips of many lengths on an x86 CPU: set `TF_ENABLE_ONEDNN_OPTS=0` before TensorFlow is imported;
its default kernels there (oneDNN) set each convolution up anew for every new clip length.{litert}"""


def _number(x):
    """1e-05 -> "1e-5", 1e-4 -> "1e-4", 0.99 -> "0.99": thresholds as the cards have always printed them."""
    return f"{x:.0e}".replace("e-0", "e-") if x < 1e-3 else f"{x:g}"


def _parity_lines(parity):
    lines = []
    saved = parity.get("saved_model", {})
    for door in ("hub_load", "serving_default", "tfsm_layer"):
        if door in saved:
            errors = saved[door]
            lines.append(f"| SavedModel via `{door}` vs Keras | {max(errors.values()):.2e} relative | "
                         f"<= {_number(SAVED_MODEL_TOLERANCE)} |")
    for quantization, entry in parity.get("tflite", {}).items():
        if not entry.get("checked", True):
            lines.append(f"| LiteRT {quantization} vs SavedModel | not checked: {entry.get('reason')} | - |")
            continue
        required = (f"<= {_number(TFLITE_FLOAT_TOLERANCE)} relative" if quantization == "float32"
                    else "reported" if quantization in CALIBRATED else f"cosine >= {_number(INT8_MIN_COSINE)}")
        lines.append(f"| LiteRT {quantization} vs SavedModel | {entry['embedding_relative_error']:.2e} relative, "
                     f"min cosine {entry['min_cosine']:.5f} | {required} |")
    for quantization, entry in parity.get("tflite", {}).items():
        real, calibration = entry.get("real_clips"), entry.get("calibration")
        if calibration:
            lines.append(f"| LiteRT {quantization} calibration | {calibration['clips']} clips of "
                         f"{calibration['source']}, {calibration['clip_seconds']:g} s each "
                         f"({calibration['skipped']} silent or unreadable skipped) | - |")
        if real:
            keeps = "yes" if real["keeps_embedding"] else "**no**"
            lines.append(f"| LiteRT {quantization} on {real['clips']} real clips of {real['source']} (files "
                         f"calibration did not read), {entry.get('bytes', 0) / 1e6:.2f} MB | min cosine "
                         f"{real['min_cosine']:.4f}, mean {real['mean_cosine']:.4f} | keeps the embedding "
                         f"(min >= {_number(INT8_MIN_COSINE)}): {keeps} |")
    speeds = {q: e for q, e in parity.get("tflite", {}).items() if e.get("speed_vs_float32") and q != "float32"}
    for quantization, entry in speeds.items():
        lines.append(f"| LiteRT {quantization} speed at export ({entry['speed_threads']} threads, one "
                     f"{entry['speed_clip_seconds']:.1f}-s clip) | {entry['speed_vs_float32']:.2f}x float32 "
                     f"({entry['ms_per_call']:.1f} ms a call) | - |")
    tune = parity.get("fine_tuning", {})
    if tune.get("checked"):
        lines.append(f"| `hub.KerasLayer(trainable=True)`, one SGD step | {tune['changed_weights']} of "
                     f"{tune['trainable_weights']} weights changed | > 0 |")
    return lines


def weights_spdx(facts):
    """The SPDX licence of the weights, the card's top-level `license` (what tools and legal reviews
    read): a published encoder's (decided from its training data and teachers), the code's for
    random weights, `NOASSERTION` for weights trained on data the card does not record."""
    publication = facts.get("publication") or {}
    if "weights_licence" in publication:
        return publication["weights_licence"]["licence"]
    if facts["training"].get("objective") == "random initialisation":
        return CODE_LICENCE
    return "NOASSERTION"


def weights_licence_cell(facts):
    """The weights' licence as the card states it: a published encoder's (decided from its training data
    and teachers, `zoo.workflows.licences`), the code's for untrained weights, or the user's to decide."""
    publication = facts.get("publication") or {}
    if "weights_licence" in publication:
        return f"**{publication['weights_licence']['licence']}** (from its training data; see below)"
    if facts["training"].get("objective") == "random initialisation":
        return f"{CODE_LICENCE} (random weights: no training data)"
    return "set by the licences of the data it was trained on (not recorded here)"


def render_markdown(facts):
    training = facts["training"]
    trained = training.get("objective") != "random initialisation"
    publication = facts.get("publication")
    title = (f"`{publication['name']}` (architecture `{facts['encoder_name']}`)" if publication
             else f"`{facts['encoder_name']}`")
    lines = [f"# Model card: {title}", "",
             f"{facts['description']}", "",
             "| | |", "|---|---|",
             f"| family | {facts['family']} |",
             f"| parameters | {facts['parameters']:,} |",
             f"| embedding size | {facts['embedding_size']} |",
             f"| frame hop | {facts['frame_hop_seconds']:g} s |",
             f"| shortest clip without padding | {facts['min_samples']} samples (shorter clips are zero-padded "
             "inside the graph) |",
             f"| training | {training.get('objective')}" + (
                 f" on {training.get('data')}, {training.get('steps')} steps" if trained else
                 " (untrained weights: use for plumbing and as a baseline, not as features)") + " |",
             f"| serving contract | version {facts['contract_version']} |",
             f"| code licence | {facts.get('code_license', CODE_LICENCE)} (the repository's `LICENSE`) |",
             f"| weights licence | {weights_licence_cell(facts)} |", "",
             "## How to call it", "", _usage(facts), "",
             "## Input and outputs", "",
             f"- Input: {facts['frontend']['input']}, {facts['frontend']['sample_rate_hz']} Hz. Any length "
             "of at least 1 sample; int16 PCM must be divided by 32768 first. NaN/Inf samples or an "
             "empty clip raise `InvalidArgumentError` in the SavedModel; the LiteRT files replace "
             "NaN/Inf samples by 0.",
             f"- `embedding`: {facts['outputs']['embedding']}.",
             f"- `frame_embeddings`: {facts['outputs']['frame_embeddings']}.",
             "- `log_mel` signature: the frontend's features `[batch, frames, mel]`.", "",
             "Frontend: " + ", ".join(f"{k} = {v}" for k, v in facts["frontend"].items()
                                      if k not in ("input", "sample_rate_hz")) + ".", ""]
    if facts["probe_scores"]:
        lines += ["## Probe scores", "", "| task | score |", "|---|---|"]
        lines += [f"| {task} | {score:.3f} |" for task, score in facts["probe_scores"].items()] + [""]
    if publication:
        lines += publication["markdown"] + [""]
    parity = facts.get("parity")
    if parity:
        lines += ["## Measured parity (at export)", "", "| check | measured | required |", "|---|---|---|"]
        lines += _parity_lines(parity) + [""]
        lines += [f"All checks passed: **{parity.get('passed')}**.", ""]
    return "\n".join(lines)


def write_model_card(out_dir, facts):
    """Write `MODEL_CARD.md` and `model_card.json` into `out_dir`; returns their paths."""
    md_path, json_path = os.path.join(out_dir, "MODEL_CARD.md"), os.path.join(out_dir, "model_card.json")
    facts.update(code_license=CODE_LICENCE, license=weights_spdx(facts))
    with open(json_path, "w") as f:
        json.dump(facts, f, indent=1, default=str)
    with open(md_path, "w") as f:
        f.write(render_markdown(facts))
    return md_path, json_path
