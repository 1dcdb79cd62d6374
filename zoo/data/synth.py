"""Pure-NumPy sound synthesis used by the mini-HARES corpus. All functions take a
`numpy.random.Generator` and return float64 `[samples]` at 16 kHz."""

import numpy as np

from zoo import audio_constants as ac

SR = ac.SAMPLE_RATE


def spectral_noise(rng, n, gain_fn):
    """Gaussian noise shaped in frequency: `gain_fn(freqs_hz) -> amplitude gain`."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1.0 / SR)
    out = np.fft.irfft(spectrum * gain_fn(freqs), n)
    return out / (np.std(out) + 1e-12)


def colored_noise(rng, n, exponent):
    """1/f^exponent noise (0 white, 1 pink, 2 brown), unit std."""
    return spectral_noise(rng, n, lambda f: 1.0 / np.maximum(f, 20.0) ** (exponent / 2.0))


def band_noise(rng, n, low_hz, high_hz):
    """Noise with a flat band between `low_hz` and `high_hz`, unit std."""
    return spectral_noise(rng, n, lambda f: ((f >= low_hz) & (f <= high_hz)).astype(float))


def resonate(signal, centres_hz, bandwidths_hz, gains=None):
    """Filter `signal` by a sum of resonances (formants), applied in the frequency domain."""
    n = signal.shape[0]
    freqs = np.fft.rfftfreq(n, 1.0 / SR)
    response = np.zeros_like(freqs)
    gains = np.ones(len(centres_hz)) if gains is None else gains
    for centre, width, gain in zip(centres_hz, bandwidths_hz, gains):
        response += gain / (1.0 + ((freqs - centre) / (width / 2.0)) ** 2)
    return np.fft.irfft(np.fft.rfft(signal) * response, n)


def pulse_train(rng, n, f0_hz, jitter=0.01, vibrato_hz=5.0, vibrato_depth=0.01):
    """Glottal-like pulse train at a slowly varying fundamental `f0_hz`."""
    t = np.arange(n) / SR
    f0 = f0_hz * (1.0 + vibrato_depth * np.sin(2 * np.pi * vibrato_hz * t + rng.uniform(0, 6.28)))
    f0 *= 1.0 + jitter * rng.standard_normal(n).cumsum() / np.sqrt(n)
    phase = np.cumsum(f0) / SR
    pulses = np.diff(np.floor(phase), prepend=0.0)
    return np.convolve(pulses, np.exp(-np.arange(40) / 6.0), mode="same")


def harmonic_tone(rng, n, f0_hz, amplitudes, inharmonicity=0.0, ratios=None):
    """Sum of partials `k * f0` (or `ratios * f0`) with the given amplitudes and random phases."""
    t = np.arange(n) / SR
    ratios = np.arange(1, len(amplitudes) + 1) if ratios is None else np.asarray(ratios)
    ratios = ratios * np.sqrt(1.0 + inharmonicity * ratios ** 2)
    out = np.zeros(n)
    for ratio, amp in zip(ratios, amplitudes):
        if ratio * f0_hz < SR / 2 - 200:
            out += amp * np.sin(2 * np.pi * ratio * f0_hz * t + rng.uniform(0, 2 * np.pi))
    return out


def envelope(n, attack_s, decay_s=None, release_s=0.02):
    """Attack ramp, then exponential decay (time constant `decay_s`) or sustain, and a short release."""
    t = np.arange(n) / SR
    env = np.minimum(t / max(attack_s, 1e-4), 1.0)
    if decay_s is not None:
        env *= np.exp(-np.maximum(t - attack_s, 0.0) / decay_s)
    rel = int(release_s * SR)
    if 0 < rel < n:
        env[-rel:] *= np.linspace(1.0, 0.0, rel)
    return env


def click(rng, n, brightness):
    """A damped noise burst of `n` samples; `brightness` in (0, 1] sets how high it sits."""
    burst = band_noise(rng, n, 200.0, 500.0 + 7000.0 * brightness)
    return burst * np.exp(-np.arange(n) / (0.15 * n))


def set_level(signal, rms_dbfs):
    """Scale to the given RMS level in dBFS, then keep the peak under 0.99."""
    rms = np.sqrt(np.mean(signal ** 2)) + 1e-12
    out = signal * (10.0 ** (rms_dbfs / 20.0) / rms)
    peak = np.max(np.abs(out))
    return out * (0.99 / peak) if peak > 0.99 else out


def add_noise(rng, signal, snr_db):
    """Add pink noise at `snr_db` relative to the signal's power."""
    noise = colored_noise(rng, signal.shape[0], 1.0)
    power = np.mean(signal ** 2) + 1e-12
    return signal + noise * np.sqrt(power / 10.0 ** (snr_db / 10.0))
