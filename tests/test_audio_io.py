import numpy as np
import pytest
import soundfile

from zoo.data.audio_io import check_waveform, read_audio, resample, write_wav
from zoo.errors import AudioFileError, WaveformError


def tone(seconds=0.5, rate=16000, hz=440.0):
    t = np.arange(int(seconds * rate)) / rate
    return (0.5 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


@pytest.mark.parametrize("ext,subtype", [("wav", "PCM_16"), ("flac", "PCM_16"), ("ogg", "VORBIS")])
def test_reads_formats_to_16k_mono(tmp_path, ext, subtype):
    path = tmp_path / f"a.{ext}"
    soundfile.write(path, tone(), 16000, subtype=subtype)
    audio = read_audio(path)
    assert audio.dtype == np.float32 and audio.shape == (8000,)
    assert np.corrcoef(audio, tone())[0, 1] > 0.99


def test_mixes_down_and_resamples(tmp_path):
    stereo = np.stack([tone(1.0, 44100), -tone(1.0, 44100) * 0.0 + tone(1.0, 44100)], axis=1)
    path = tmp_path / "stereo44k.wav"
    soundfile.write(path, stereo, 44100)
    audio = read_audio(path)
    assert audio.shape == (16000,)
    spectrum = np.abs(np.fft.rfft(audio))
    assert abs(np.argmax(spectrum) * 16000 / 16000 - 440) <= 1  # 440 Hz survives resampling
    assert resample(tone(1.0, 48000), 48000).shape == (16000,)


def test_segment_by_seconds(tmp_path):
    path = tmp_path / "seg.wav"
    write_wav(path, tone(2.0))
    assert read_audio(path, start=0.5, end=1.25).shape == (12000,)


def test_errors_name_the_file_and_problem(tmp_path):
    with pytest.raises(AudioFileError, match=r"missing\.wav.*not found"):
        read_audio(tmp_path / "missing.wav")
    (tmp_path / "empty.wav").write_bytes(b"")
    with pytest.raises(AudioFileError, match=r"empty\.wav.*empty"):
        read_audio(tmp_path / "empty.wav")
    (tmp_path / "corrupt.wav").write_bytes(b"RIFF\x00\x00garbage" * 10)
    with pytest.raises(AudioFileError, match=r"corrupt\.wav.*cannot decode"):
        read_audio(tmp_path / "corrupt.wav")
    bad = tone()
    bad[10] = np.nan
    soundfile.write(tmp_path / "nan.wav", bad, 16000, subtype="FLOAT")
    with pytest.raises(AudioFileError, match=r"nan\.wav.*NaN"):
        read_audio(tmp_path / "nan.wav")
    soundfile.write(tmp_path / "zero_frames.wav", np.zeros(0, np.float32), 16000)
    with pytest.raises(AudioFileError, match=r"zero_frames\.wav.*no samples"):
        read_audio(tmp_path / "zero_frames.wav")


def test_check_waveform_refuses_bad_arrays():
    assert check_waveform(np.zeros(5)).shape == (1, 5)
    with pytest.raises(WaveformError, match="dtype int16"):
        check_waveform(np.zeros(5, np.int16))
    with pytest.raises(WaveformError, match="shape"):
        check_waveform(np.zeros((1, 2, 3), np.float32))
    with pytest.raises(WaveformError, match="empty"):
        check_waveform(np.zeros((1, 0), np.float32))
    with pytest.raises(WaveformError, match="NaN"):
        check_waveform(np.array([0.0, np.inf], np.float32))
    with pytest.raises(WaveformError, match="44100 Hz, expected 16000"):
        check_waveform(np.zeros(5, np.float32), sample_rate=44100)
