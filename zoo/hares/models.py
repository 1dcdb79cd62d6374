"""Any encoder the probe can score: a registry name, a `.keras` file, or a SavedModel folder that
follows the serving contract (ours or a third party's: `obj(waveform)` returning a dict with
`embedding`, or a `serving_default` signature with a `waveform` input).

`load_probe_model(spec)` returns an object with `name` and `__call__(waveform, training=False)` ->
{"embedding": [batch, D], ...}, which is all `zoo.hares` needs.
"""

import os

import tensorflow as tf


class SavedModelEncoder:
    """A contract SavedModel seen as an encoder (frozen: `training` is ignored)."""

    def __init__(self, path):
        self.path = os.fspath(path)
        self.module = tf.saved_model.load(self.path)
        self.name = os.path.basename(os.path.normpath(self.path))
        if callable(self.module):
            self._fn = lambda waveform: self.module(waveform)
        elif "serving_default" in getattr(self.module, "signatures", {}):
            signature = self.module.signatures["serving_default"]
            self._fn = lambda waveform: signature(waveform=waveform)
        else:
            raise ValueError(f"SavedModel {self.path!r} has neither __call__ nor a serving_default signature; "
                             "expected the serving contract (export/README.md)")

    def __call__(self, waveform, training=False):
        del training
        outputs = self._fn(tf.convert_to_tensor(waveform, tf.float32))
        if not isinstance(outputs, dict) or "embedding" not in outputs:
            raise ValueError(f"SavedModel {self.path!r} returned {type(outputs).__name__} without an "
                             "'embedding' output; expected the serving contract (export/README.md)")
        return outputs


def load_probe_model(spec):
    """Registry name, `.keras` file or SavedModel folder -> an encoder-like object (module docstring)."""
    import keras

    import zoo
    from zoo.published import list_published, published_path
    spec = os.fspath(spec)
    if not os.path.exists(spec) and spec in list_published():
        spec = published_path(spec)
    if os.path.isdir(spec):
        if not os.path.exists(os.path.join(spec, "saved_model.pb")):
            raise FileNotFoundError(f"model {spec!r} is a folder without saved_model.pb; expected a SavedModel "
                                    "export, a .keras file or a registered encoder name")
        return SavedModelEncoder(spec)
    if spec.endswith(".keras"):
        if not os.path.exists(spec):
            raise FileNotFoundError(f"model {spec!r}: file not found")
        import zoo.encoders  # noqa: F401  (registers the encoder classes the file names)
        return keras.saving.load_model(spec, compile=False)
    return zoo.create_encoder(spec)
