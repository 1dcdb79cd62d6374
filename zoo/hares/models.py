"""Any encoder the probe can score: a registry name, a `.keras` file, or a SavedModel folder that
follows the serving contract (ours or a third party's: `obj(waveform)` returning a dict with
`embedding`, or a `serving_default` signature with a `waveform` input).

`load_probe_model(spec)` returns an object with `name` and `__call__(waveform, training=False)` ->
{"embedding": [batch, D], ...}, which is all `zoo.hares` needs.
"""

import os

from zoo.export.loader import SavedModelEncoder
from zoo.errors import NotFoundError


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
            raise NotFoundError(f"model {spec!r} is a folder without saved_model.pb; expected a SavedModel "
                                    "export, a .keras file or a registered encoder name")
        return SavedModelEncoder(spec)
    if spec.endswith(".keras"):
        if not os.path.exists(spec):
            raise NotFoundError(f"model {spec!r}: file not found")
        import zoo.encoders  # noqa: F401  (registers the encoder classes the file names)
        return keras.saving.load_model(spec, compile=False)
    return zoo.create_encoder(spec)
