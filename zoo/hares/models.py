"""Any encoder the probe can score: a registry name, a `.keras` file, or a SavedModel folder that
follows the serving contract (ours or a third party's: `obj(waveform)` returning a dict with
`embedding`, or a `serving_default` signature with a `waveform` input).

`teacher:NAME` is a distillation teacher (`zoo.teachers`), scored as it is: the ceiling of what
distilling it can pass on. `twin:SPEC` is SPEC's random-initialisation twin: the same Keras config with fresh weights (seed 0),
the row that tells what pretraining added (`twin:nf_slowfast_tiny-simclr-open-audio`).

`load_probe_model(spec)` returns an object with `name` and `__call__(waveform, training=False)` ->
{"embedding": [batch, D], ...}, which is all `zoo.hares` needs.
"""

import os

from zoo.export.loader import SavedModelEncoder
from zoo.errors import NotFoundError


TWIN_PREFIX = "twin:"
TEACHER_PREFIX = "teacher:"
TWIN_SEED = 0


def load_probe_model(spec):
    """Registry name, published name, `.keras` file, SavedModel folder, `teacher:NAME` or `twin:` one of those ->
    an encoder-like object (module docstring)."""
    import keras

    import zoo
    from zoo.published import list_published, published_path
    spec = os.fspath(spec)
    if spec.startswith(TWIN_PREFIX):
        return _twin(spec[len(TWIN_PREFIX):])
    if spec.startswith(TEACHER_PREFIX):
        from zoo.teachers import create_teacher
        return create_teacher(spec[len(TEACHER_PREFIX):])
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


def _twin(spec):
    """The random-init twin of the Keras encoder `spec` names (a published one: its `encoder.keras`)."""
    import keras

    from zoo.published import list_published, published_path
    if not os.path.exists(spec) and spec in list_published():
        spec = os.path.join(published_path(spec), "encoder.keras")
    encoder = load_probe_model(spec)
    if not isinstance(encoder, keras.Model):
        raise NotFoundError(f"twin:{spec}: a twin needs a Keras encoder (registry name, published name or "
                            ".keras file), not a SavedModel")
    twin = twin_of(encoder)
    twin(keras.ops.zeros((1, 16000)))
    return twin


def twin_of(encoder, seed=TWIN_SEED):
    """The random-initialisation twin of a Keras encoder: its config, fresh weights drawn after seeding
    Keras with `seed` (the same twin every time)."""
    import keras
    keras.utils.set_random_seed(seed)
    return type(encoder).from_config(encoder.get_config())
