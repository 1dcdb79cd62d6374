"""The samples of a Gravis UltraSound patch (`.pat`, the format of the `freepats` instrument bank that
TiMidity++ plays), read with the standard library and NumPy: each sample is one recorded note of
the instrument, with the pitch it was recorded at.

Layout (all integers little-endian): a 129-byte header (`GF1PATCH110` or `GF1PATCH100`, the
`ID#000002` tag, a description, counts, the number of samples at byte 85), a 63-byte instrument
header and a 47-byte layer header (239 bytes in all), then each sample: a 96-byte header (name,
data size, loop points, sample rate in Hz, the lowest, highest and root frequency in milli-Hz,
envelope, modes: bit 0 = 16-bit, bit 1 = unsigned) followed by its data.

    for name, open_entry in iter_entries("Tone_000/000_Acoustic_Grand_Piano.pat", lambda n: True):
        with open_entry() as stream: ...        # a 16-bit WAV; name "s03_261.626Hz.wav"
"""

import functools
import io
import struct

import numpy as np
import soundfile

MAGICS = (b"GF1PATCH110\0", b"GF1PATCH100\0")
HEADER_BYTES = 239                      # patch (129) + instrument (63) + layer (47) headers
SAMPLE = struct.Struct("<7sBIIIHIII")   # name, fractions, size, loop start, loop end, rate, low, high, root
SAMPLE_BYTES = 96
MODE_16BIT, MODE_UNSIGNED = 1, 2


def read_samples(data):
    """[(root frequency in Hz, sample rate in Hz, float32 samples in [-1, 1])] of the patch `data`
    (bytes). Raises ValueError when `data` is not a GUS patch or its samples run past its end."""
    if data[:12] not in MAGICS:
        raise ValueError("not a GUS patch (no GF1PATCH header)")
    if len(data) < HEADER_BYTES:
        raise ValueError(f"GUS patch header cut short ({len(data)} of {HEADER_BYTES} bytes)")
    count = data[HEADER_BYTES - 41]      # the layer header's sample count, before its 40 reserved bytes
    samples, at = [], HEADER_BYTES
    for index in range(count):
        if at + SAMPLE_BYTES > len(data):
            raise ValueError(f"GUS patch sample {index} header runs past the end of the file")
        _, _, size, _, _, rate, _, _, root = SAMPLE.unpack_from(data, at)
        mode = data[at + 55]
        start, at = at + SAMPLE_BYTES, at + SAMPLE_BYTES + size
        if at > len(data):
            raise ValueError(f"GUS patch sample {index} data runs past the end of the file")
        wide = bool(mode & MODE_16BIT)
        raw = np.frombuffer(data[start:at][: size - size % 2] if wide else data[start:at],
                            dtype=("<u2" if mode & MODE_UNSIGNED else "<i2") if wide else
                            (np.uint8 if mode & MODE_UNSIGNED else np.int8))
        offset, scale = (2**15, 2**15) if wide else (2**7, 2**7)
        values = raw.astype(np.float32)
        values = (values - offset if mode & MODE_UNSIGNED else values) / scale
        samples.append((root / 1000.0, int(rate), values))
    return samples


def _wav(rate, values):
    buffer = io.BytesIO()
    soundfile.write(buffer, values, rate, format="WAV", subtype="PCM_16")
    buffer.seek(0)
    return buffer


def iter_entries(path, wanted):
    """(name, open) of each sample of the patch at `path` whose name `wanted(name)` accepts; names are
    `sNN_ROOTHz.wav` (`s03_261.626Hz.wav`), `open()` gives the sample as a WAV stream. Raises
    ValueError when `path` is not a GUS patch."""
    with open(path, "rb") as f:
        data = f.read()
    for index, (root, rate, values) in enumerate(read_samples(data)):
        name = f"s{index:02d}_{root:.3f}Hz.wav"
        if values.size and wanted(name):
            yield name, functools.partial(_wav, rate, values)
