"""The representative set of full-integer conversion: what is refused (empty, wrong rate, silent,
NaN) with a message that names the set, and what is kept (audible clips cut or repeated to length)."""

import numpy as np
import pytest
import soundfile

from zoo.errors import WaveformError
from zoo.export.representative import check_representative, representative_clips


def tone(seconds, amplitude=0.3, rate=16000, freq=440.0):
    return (amplitude * np.sin(2 * np.pi * freq * np.arange(int(seconds * rate)) / rate)).astype(np.float32)


def test_audible_clips_are_cut_or_repeated_to_length_and_silent_ones_dropped():
    clips, dropped = check_representative([tone(4.0), tone(1.0), np.zeros(16000, np.float32), tone(2.0, 1e-5)],
                                          seconds=3.0)
    assert dropped == 2 and [c.shape for c in clips] == [(48000,), (48000,)]
    np.testing.assert_array_equal(clips[1][16000:32000], tone(1.0))      # a short clip repeats


@pytest.mark.parametrize("clips, kwargs, message", [
    ([], {}, "mine: empty; full-integer calibration needs real clips"),
    ([tone(1.0)], {"sample_rate": 44100}, "mine: sample rate 44100 Hz; the encoders take 16000 Hz"),
    ([np.zeros(8000, np.float32)] * 3, {}, "mine: all 3 clips are silent"),
    ([tone(1.0), np.array([0.1, np.nan], np.float32)], {}, "mine, clip 1: contains NaN or Inf samples"),
    ([np.zeros(0, np.float32)], {}, "mine, clip 0: empty clips"),
])
def test_bad_sets_are_refused_by_name(clips, kwargs, message):
    with pytest.raises(WaveformError, match=message):
        check_representative(clips, name="mine", **kwargs)


def test_a_folder_gives_clips_at_16_khz_and_counts_what_it_skipped(tmp_path):
    soundfile.write(tmp_path / "a.wav", tone(2.0, rate=22050), 22050)   # resampled to 16 kHz on reading
    soundfile.write(tmp_path / "b.flac", tone(3.5), 16000)
    (tmp_path / "broken.wav").write_bytes(b"RIFF not a wave")
    soundfile.write(tmp_path / "quiet.wav", np.zeros(16000, np.float32), 16000)
    clips, skipped = representative_clips(str(tmp_path), count=8, seconds=3.0)
    assert len(clips) == 2 and skipped == 2 and all(c.shape == (48000,) for c in clips)
    (tmp_path / "empty").mkdir()
    with pytest.raises(WaveformError, match="representative set .*empty.: empty .no audio files."):
        representative_clips(str(tmp_path / "empty"), count=2)
    with pytest.raises(WaveformError, match="not a folder, and no corpus of that name"):
        representative_clips("no-such-corpus", count=2)


def test_calibration_and_held_out_clips_come_from_disjoint_files(tmp_path):
    """The even files of the sorted list calibrate, the odd ones are held out: with five tones of
    distinct pitch, the two sets share no clip."""
    from zoo.export.representative import calibration_and_held_out
    for k in range(5):
        soundfile.write(tmp_path / f"{k}.wav", tone(1.0, freq=200.0 * (k + 1)), 16000)
    calibration, held_out, dropped = calibration_and_held_out(str(tmp_path), count=8, held_out=8, seconds=1.0)
    assert (len(calibration), len(held_out), dropped) == (3, 2, 0)
    peak_bins = lambda clips: {int(np.argmax(np.abs(np.fft.rfft(c)))) for c in clips}   # 1-Hz bins of 1-s clips
    assert peak_bins(calibration) == {200, 600, 1000} and peak_bins(held_out) == {400, 800}
