"""The GUS patch reader (`freepats`' instrument format) on patches written here byte by byte: the
samples' pitch, rate and values for 8- and 16-bit, signed and unsigned data, and clear errors for
what is not a patch or is cut short."""

import struct

import numpy as np
import pytest
import soundfile

from zoo.data.corpora import gus_patch


def patch_bytes(samples):
    """A GUS patch holding `samples` [(root Hz, rate, mode, raw bytes)], laid out as the format says."""
    header = b"GF1PATCH110\0" + b"ID#000002\0" + b"test patch".ljust(60, b"\0")
    header += bytes([1, 14, 0]) + struct.pack("<HHI", len(samples), 127, 0) + bytes(36)
    instrument = struct.pack("<H", 0) + b"piano".ljust(16, b"\0") + struct.pack("<I", 0) + bytes([1]) + bytes(40)
    layer = bytes([0, 0]) + struct.pack("<I", 0) + bytes([len(samples)]) + bytes(40)
    body = b""
    for root, rate, mode, raw in samples:
        head = struct.pack("<7sBIIIHIII", b"s", 0, len(raw), 0, len(raw), rate, 20000, 8000000, round(root * 1000))
        head += struct.pack("<hB", 0, 7) + bytes(6) + bytes(6) + bytes(6) + bytes([mode])
        head += struct.pack("<HH", 60, 1024) + bytes(36)
        assert len(head) == gus_patch.SAMPLE_BYTES
        body += head + raw
    data = header + instrument + layer
    assert len(data) == gus_patch.HEADER_BYTES
    return data + body


def test_samples_come_back_with_their_pitch_rate_and_values():
    signed16 = np.array([0, 16384, -32768, 32767], "<i2").tobytes()
    unsigned8 = bytes([128, 192, 0, 255])
    samples = gus_patch.read_samples(patch_bytes([(261.626, 44100, 1, signed16), (440.0, 22050, 2, unsigned8)]))
    (root_a, rate_a, a), (root_b, rate_b, b) = samples
    assert (root_a, rate_a, root_b, rate_b) == (261.626, 44100, 440.0, 22050)
    np.testing.assert_array_equal(a, [0.0, 0.5, -1.0, 32767 / 32768])
    np.testing.assert_array_equal(b, [0.0, 0.5, -1.0, 127 / 128])


def test_entries_are_wav_streams_named_by_their_root(tmp_path):
    path = tmp_path / "000_Piano.pat"
    path.write_bytes(patch_bytes([(261.626, 16000, 1, np.full(800, 1000, "<i2").tobytes()),
                                  (523.251, 16000, 1, np.full(400, 2000, "<i2").tobytes())]))
    entries = list(gus_patch.iter_entries(str(path), lambda name: True))
    assert [name for name, _ in entries] == ["s00_261.626Hz.wav", "s01_523.251Hz.wav"]
    with entries[1][1]() as stream:
        values, rate = soundfile.read(stream, dtype="int16")
    assert rate == 16000 and values.shape == (400,) and set(values) == {2000}


def test_what_is_not_a_patch_or_is_cut_short_is_refused():
    with pytest.raises(ValueError, match="not a GUS patch"):
        gus_patch.read_samples(b"RIFF" + bytes(300))
    whole = patch_bytes([(440.0, 16000, 1, bytes(200))])
    with pytest.raises(ValueError, match="sample 0 data runs past the end"):
        gus_patch.read_samples(whole[:-10])
    with pytest.raises(ValueError, match="header cut short"):
        gus_patch.read_samples(whole[:100])
