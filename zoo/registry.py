"""The zoo's front door: a registry of encoder builders with their metadata.

    zoo.list_encoders()                      -> ["logmel", "logmel_conv_tiny", ...]
    zoo.create_encoder(name, **overrides)    -> keras.Model: waveform [batch, samples] ->
                                                {"embedding": [batch, D], "frame_embeddings": [batch, frames, D]}
    zoo.encoder_info(name)                   -> dict of metadata (family, embedding_size, ...)

Encoder modules register themselves with `@register_encoder(...)` when `zoo.encoders` is imported;
the metadata declared here is asserted against the built model by the test suite.
"""

import dataclasses
import difflib
from typing import Callable, Optional

from zoo.errors import UnknownEncoderError, UnknownNameError, UnknownOptionError

_REGISTRY = {}


@dataclasses.dataclass(frozen=True)
class EncoderSpec:
    """What the registry knows of one encoder before building it."""
    name: str
    family: str
    builder: Callable
    defaults: dict
    input_kind: str                 # "log-mel" (waveform -> log-mel inside) or "waveform"
    embedding_size: int             # D at the defaults
    frame_hop_seconds: float        # time between frame embeddings
    num_params: int                 # our count at the defaults (asserted by tests)
    paper_params: Optional[str]     # the paper's count, e.g. "63m" (Table 2), or None
    description: str

    def as_dict(self):
        info = dataclasses.asdict(self)
        info.pop("builder")
        return info


def register_encoder(name, *, family, input_kind, embedding_size, frame_hop_seconds, num_params,
                     description, defaults, paper_params=None):
    """Decorator: register `builder(**config) -> keras.Model` under `name`; `defaults` is the
    config dict that `create_encoder(name, **overrides)` starts from."""
    def wrap(builder):
        if name in _REGISTRY:
            raise ValueError(f"encoder {name!r} is registered twice")
        _REGISTRY[name] = EncoderSpec(name, family, builder, dict(defaults), input_kind,
                                      embedding_size, frame_hop_seconds, num_params, paper_params,
                                      description)
        return builder
    return wrap


def _ensure_loaded():
    import zoo.encoders  # noqa: F401  (registers every family)


def get_spec(name):
    """The `EncoderSpec` of `name`; unknown names raise `UnknownEncoderError` listing close matches."""
    _ensure_loaded()
    if name not in _REGISTRY:
        close = difflib.get_close_matches(str(name), _REGISTRY, n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise UnknownEncoderError(
            f"unknown encoder name {name!r}.{hint} Registered encoders: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[name]


def list_encoders(family=None):
    """Sorted names of the registered encoders, optionally only those of one `family`."""
    _ensure_loaded()
    return sorted(n for n, s in _REGISTRY.items() if family is None or s.family == family)


def encoder_info(name):
    """Metadata of an encoder as a plain dict (no model is built)."""
    return get_spec(name).as_dict()


def create_encoder(name=None, weights=None, **overrides):
    """Encoder `name` with its registered defaults updated by `overrides`, built (every weight
    created, as keras-hub backbones and `keras.applications` come): `count_params()`, `summary()`
    and `get_weights()` work before the first call.

    `weights=PUBLISHED_NAME` (`zoo.list_published()`) returns that published encoder as a Keras 3
    model with its pretrained weights, architecture and options taken from its card (`name` may be
    left out; given, it must be the card's), ready for `model.fit`: `zoo.create_encoder(weights=
    zoo.DEFAULT_PUBLISHED)`. An export folder or a `.keras` file works the same way."""
    if weights is not None:
        from zoo.published import load_published_keras
        if overrides:
            raise UnknownOptionError(f"create_encoder(weights={weights!r}) takes its architecture and options from "
                                     f"the published card; drop {sorted(overrides)}")
        model, encoder_name = load_published_keras(weights)
        if name is not None and name != encoder_name:
            raise UnknownOptionError(f"create_encoder({name!r}, weights={weights!r}): those weights belong to "
                                     f"{encoder_name!r}")
        return model
    if name is None:
        raise UnknownNameError("create_encoder() needs an encoder name (zoo.list_encoders()) or weights= a "
                               "published name (zoo.list_published())")
    spec = get_spec(name)
    unknown = set(overrides) - set(spec.defaults)
    if unknown:
        raise UnknownOptionError(
            f"create_encoder({name!r}): unknown option(s) {sorted(unknown)}; "
            f"this encoder takes {sorted(spec.defaults)}")
    model = spec.builder(**{**spec.defaults, **overrides})
    if not model.built:
        model.build()
    return model


def load_encoder_file(path):
    """A saved Keras encoder (`encoder.keras`, local or on any TensorFlow filesystem) -> the model,
    uncompiled. A missing file raises `NotFoundError`; a file that exists but cannot be read (truncated,
    not a `.keras` zip, a class this zoo does not know) raises `ZooError`, each naming the file."""
    import keras
    import tensorflow as tf

    import zoo.encoders  # noqa: F401  (registers the encoder classes the file names)
    from zoo.errors import NotFoundError, ZooError
    if not tf.io.gfile.exists(path):
        raise NotFoundError(f"{path}: file not found")
    if tf.io.gfile.isdir(path):
        raise NotFoundError(f"{path}: a folder, not an encoder.keras file")
    try:
        return keras.saving.load_model(path, compile=False)
    except Exception as error:         # a truncated zip, a foreign file: say which file and why
        reason = "not a .keras zip (truncated or another kind of file)" if str(error).startswith("File not found") \
            else f"{type(error).__name__}: {error}"
        raise ZooError(f"{path}: exists but cannot be read as a Keras encoder ({reason})") from error
