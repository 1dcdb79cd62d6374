"""The table the encoder families fill: `EncoderSpec` (what the registry knows of an encoder before
building it) and `@register_encoder(...)`, which each family's module applies to its builders.

The front door that reads it, `zoo.registry` (`create_encoder`, `list_encoders`), imports the
families; the families import only this module, so the two never import each other.
"""

import dataclasses
from typing import Callable, Optional

REGISTRY = {}            # name -> EncoderSpec, filled as the families are imported


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
        if name in REGISTRY:
            raise ValueError(f"encoder {name!r} is registered twice")
        REGISTRY[name] = EncoderSpec(name, family, builder, dict(defaults), input_kind,
                                      embedding_size, frame_hop_seconds, num_params, paper_params,
                                      description)
        return builder
    return wrap
