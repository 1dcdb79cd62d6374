import numpy as np
import pytest
import tensorflow as tf

from zoo.data import minihares
from zoo.frontends import LogMelSpectrogram, PerExampleStandardization, SincConv1D
from zoo.frontends.mel_matrix import mel_weight_matrix


def reference_log_mel(waveform, n_mels=80, fmin=60.0, fmax=7800.0, offset=1e-6):
    """Independent float64 definition: centred frames (zero-pad 200 each side), periodic Hann,
    |rfft_512|^2, HTK mel triangles, natural log."""
    win, hop, nfft = 400, 160, 512
    x = np.pad(np.asarray(waveform, np.float64), (win // 2, win - win // 2))
    frames = 1 + (len(x) - win) // hop
    idx = np.arange(win)[None, :] + hop * np.arange(frames)[:, None]
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(win) / win)
    power = np.abs(np.fft.rfft(x[idx] * window, nfft)) ** 2
    mel = power @ mel_weight_matrix(n_mels, nfft // 2 + 1, 16000, fmin, fmax)
    return np.log(mel + offset)


def real_like_signals():
    noise = np.random.default_rng(0).uniform(-1, 1, 16000)
    vowel = minihares.synthesize("speech_vowel", "a", "train", 0)
    bell = minihares.synthesize("music_instrument", "bell", "test", 3)
    return {"noise": noise, "vowel": vowel, "bell": bell}


def test_mel_matrix_equals_tensorflow_definition():
    ours = mel_weight_matrix(128, 257, 16000, 60.0, 7800.0)
    theirs = tf.signal.linear_to_mel_weight_matrix(128, 257, 16000, 60.0, 7800.0).numpy()
    np.testing.assert_allclose(ours, theirs, atol=5e-5)  # TF builds it in float32
    assert (ours.sum(0) > 0).all(), "every mel band must cover at least one FFT bin"


@pytest.mark.parametrize("name", ["noise", "vowel", "bell"])
def test_log_mel_matches_float64_reference(name):
    signal = real_like_signals()[name]
    ours = LogMelSpectrogram()(signal[None].astype(np.float32)).numpy()[0]
    ref = reference_log_mel(signal)
    assert ours.shape == ref.shape
    # Relative error of the mel energies (what the log is taken of), and of the log-mel itself.
    rel = np.abs(np.exp(ours) - np.exp(ref)) / (np.exp(ref))
    assert np.max(rel) < 1e-4, np.max(rel)
    assert np.max(np.abs(ours - ref) / np.maximum(np.abs(ref), 1.0)) < 1e-4


@pytest.mark.parametrize("samples,frames", [(1, 1), (159, 1), (160, 2), (16000, 101), (48000, 301)])
def test_frame_count_rule_and_short_clips(samples, frames):
    layer = LogMelSpectrogram()
    out = layer(np.zeros((2, samples), np.float32))
    assert out.shape == (2, frames, 80) == (2, layer.num_frames(samples), 80)
    assert np.all(np.isfinite(out.numpy()))


@pytest.mark.parametrize("samples", [1, 159, 160, 16000, 27183])
def test_fft_and_conv_stft_agree(samples):
    signal = np.resize(real_like_signals()["vowel"], (2, samples)).astype(np.float32)
    fft, conv = LogMelSpectrogram(stft="fft"), LogMelSpectrogram(stft="conv")
    power_fft, power_conv = fft.power_spectrogram(signal).numpy(), conv.power_spectrogram(signal).numpy()
    assert power_fft.shape == power_conv.shape == (2, fft.num_frames(samples), 257)
    np.testing.assert_allclose(power_fft, power_conv, rtol=0, atol=2e-5 * power_conv.max())
    assert np.max(np.abs(fft(signal).numpy() - conv(signal).numpy())) < 1e-3
    assert LogMelSpectrogram.from_config(conv.get_config()).stft == "conv"


def test_log_mel_rejects_wrong_rank_and_bad_settings():
    with pytest.raises(ValueError, match=r"\[batch, samples\]"):
        LogMelSpectrogram()(np.zeros((16000,), np.float32))
    with pytest.raises(ValueError, match="fft_length"):
        LogMelSpectrogram(fft_length=256)
    with pytest.raises(ValueError, match="fmax"):
        LogMelSpectrogram(fmax=9000.0)
    with pytest.raises(ValueError, match="stft='dct'"):
        LogMelSpectrogram(stft="dct")


def test_log_mel_config_round_trip():
    layer = LogMelSpectrogram(n_mels=128, fmin=0.0, log_offset=1e-3)
    clone = LogMelSpectrogram.from_config(layer.get_config())
    x = np.random.default_rng(0).normal(size=(1, 800)).astype(np.float32)
    np.testing.assert_array_equal(layer(x).numpy(), clone(x).numpy())
    assert clone.n_mels == 128


def test_standardization_unit_scale_and_silence_floor():
    layer = PerExampleStandardization()
    x = np.random.default_rng(0).normal(3.0, 2.0, size=(2, 50, 80)).astype(np.float32)
    y = layer(x).numpy()
    np.testing.assert_allclose(y.mean(axis=(1, 2)), 0.0, atol=1e-5)
    np.testing.assert_allclose(y.std(axis=(1, 2)), 1.0, atol=1e-4)
    silence = LogMelSpectrogram()(np.zeros((1, 16000), np.float32))
    assert np.max(np.abs(layer(silence).numpy())) < 1e-3  # floored std: rounding noise stays tiny, not unit scale
    with pytest.raises(ValueError, match="std_floor"):
        PerExampleStandardization(std_floor=0.0)


def _litert_run(function, inputs):
    """Convert `function` (fixed input [1, length]) with builtin ops only and run it in LiteRT."""
    from ai_edge_litert.interpreter import Interpreter
    length = inputs.shape[1]
    fn = tf.function(function, input_signature=[tf.TensorSpec([1, length], tf.float32)])
    converter = tf.lite.TFLiteConverter.from_concrete_functions([fn.get_concrete_function()])
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]  # fails if a Flex op is needed
    interpreter = Interpreter(model_content=converter.convert())
    interpreter.allocate_tensors()
    inp, out = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    results = []
    for row in inputs:
        interpreter.set_tensor(inp["index"], row[None].astype(np.float32))
        interpreter.invoke()
        results.append(interpreter.get_tensor(out["index"])[0])
    return np.stack(results)


@pytest.mark.parametrize("stft", ["fft", "conv"])
@pytest.mark.parametrize("length", [16000, 37])
def test_log_mel_tflite_builtin_ops_parity(length, stft):
    rng = np.random.default_rng(0)
    n = length
    signals = np.stack([
        rng.uniform(-1, 1, n),                                   # noise
        np.zeros(n),                                             # silence
        1e-6 * rng.standard_normal(n),                           # near-silence
        np.clip(3.0 * np.sin(2 * np.pi * 440 * np.arange(n) / 16000), -1, 1),  # clipping
        np.resize(real_like_signals()["vowel"], n),              # speech-like
    ]).astype(np.float32)
    layer = LogMelSpectrogram(stft=stft)
    expected = layer(signals).numpy()
    got = _litert_run(layer, signals)
    assert np.all(np.isfinite(got))
    # 1e-3 in natural-log units is a 0.1 % power error. LiteRT's float32 FFT rounds differently from
    # TensorFlow's: on the clipped sine, bins ~70 dB below the frame's peak differ by ~3e-4; a wrong
    # window, mel matrix or log floor would differ by orders of magnitude more.
    assert np.max(np.abs(got - expected)) < 1e-3, np.max(np.abs(got - expected))
    # Standardised features stay close too on silence and near-silence (the std floor at work).
    standardized = _litert_run(lambda w: PerExampleStandardization()(layer(w)), signals)
    expected = PerExampleStandardization()(layer(signals)).numpy()
    assert np.max(np.abs(standardized - expected)) < 1e-3


def test_sinc_conv_filters_are_band_passes_within_constraints():
    layer = SincConv1D(filters=16, kernel_size=251, stride=10, min_low_hz=50.0, min_band_hz=50.0)
    x = np.random.default_rng(0).normal(size=(2, 1600)).astype(np.float32)
    assert layer(x).shape == (2, 160, 16)
    assert layer(x[..., None]).shape == (2, 160, 16)
    kernels = layer.kernels().numpy()
    np.testing.assert_allclose(kernels, kernels[::-1], atol=1e-6)       # symmetric (linear phase)
    np.testing.assert_allclose(kernels[125], 1.0, atol=1e-6)            # normalised centre tap
    low, high = (v.numpy() for v in layer.cutoffs_hz())
    assert np.all(low >= 50.0) and np.all(high - low >= 50.0 - 1e-3) and np.all(high <= 8000.0)
    assert np.all(np.diff(low) > 0), "initial cut-offs are mel-spaced and increasing"
    response = np.abs(np.fft.rfft(kernels, 4096, axis=0))
    peak_hz = np.fft.rfftfreq(4096, 1 / 16000)[response.argmax(0)]
    inside = (peak_hz >= low - 30) & (peak_hz <= high + 30)
    assert inside.mean() >= 0.9, (peak_hz, low, high)


def test_sinc_conv_learns_cutoffs_and_round_trips():
    layer = SincConv1D(filters=4, kernel_size=31, stride=4)
    x = tf.random.normal((2, 400))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(layer(x) ** 2)
    grads = tape.gradient(loss, layer.trainable_weights)
    assert len(grads) == 2 and all(g is not None and np.any(g.numpy() != 0) for g in grads)
    clone = SincConv1D.from_config(layer.get_config())
    clone.build((None, 400))
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(clone(x).numpy(), layer(x).numpy(), atol=1e-6)
    with pytest.raises(ValueError, match="odd"):
        SincConv1D(kernel_size=250)
