"""Mel filterbank weights in NumPy (float64), the same definition as
`tf.signal.linear_to_mel_weight_matrix`: HTK mel scale (1127 ln(1 + f / 700)), triangles spaced
evenly in mel between `fmin` and `fmax`, weights computed in the mel domain, DC bin zeroed.
"""

import numpy as np

from zoo.errors import ConfigError

_MEL_BREAK_HZ = 700.0
_MEL_HIGH_Q = 1127.0


def hz_to_mel(hz):
    """HTK mel of a frequency in Hz."""
    return _MEL_HIGH_Q * np.log1p(np.asarray(hz, np.float64) / _MEL_BREAK_HZ)


def mel_to_hz(mel):
    """Inverse of `hz_to_mel`."""
    return _MEL_BREAK_HZ * np.expm1(np.asarray(mel, np.float64) / _MEL_HIGH_Q)


def mel_weight_matrix(n_mels, n_fft_bins, sample_rate, fmin, fmax):
    """Triangular mel weights, float64 `[n_fft_bins, n_mels]` (multiply a power spectrum on the right)."""
    if not 0.0 <= fmin < fmax <= sample_rate / 2:
        raise ConfigError(
            f"mel range must satisfy 0 <= fmin < fmax <= sample_rate / 2; got fmin={fmin}, "
            f"fmax={fmax}, sample_rate={sample_rate}")
    bin_hz = np.linspace(0.0, sample_rate / 2.0, n_fft_bins)[1:]  # DC bin excluded, as in TF
    bin_mel = hz_to_mel(bin_hz)[:, None]
    edges = np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2)
    lower, center, upper = edges[:-2], edges[1:-1], edges[2:]
    rising = (bin_mel - lower) / (center - lower)
    falling = (upper - bin_mel) / (upper - center)
    weights = np.maximum(0.0, np.minimum(rising, falling))
    return np.pad(weights, [[1, 0], [0, 0]])


# -- Slaney's mel scale (librosa's default), for teachers trained with it -----------------------------
_SLANEY_HZ_PER_MEL = 200.0 / 3     # linear below 1 kHz
_SLANEY_BREAK_HZ = 1000.0
_SLANEY_LOG_STEP = np.log(6.4) / 27.0


def slaney_hz_to_mel(hz):
    """Slaney's mel: linear up to 1 kHz (15 mel), logarithmic above."""
    hz = np.asarray(hz, np.float64)
    linear = hz / _SLANEY_HZ_PER_MEL
    log = _SLANEY_BREAK_HZ / _SLANEY_HZ_PER_MEL + np.log(np.maximum(hz, 1e-10) / _SLANEY_BREAK_HZ) / _SLANEY_LOG_STEP
    return np.where(hz >= _SLANEY_BREAK_HZ, log, linear)


def slaney_mel_to_hz(mel):
    """Inverse of `slaney_hz_to_mel`."""
    mel = np.asarray(mel, np.float64)
    break_mel = _SLANEY_BREAK_HZ / _SLANEY_HZ_PER_MEL
    return np.where(mel >= break_mel, _SLANEY_BREAK_HZ * np.exp(_SLANEY_LOG_STEP * (mel - break_mel)),
                    _SLANEY_HZ_PER_MEL * mel)


def slaney_mel_weight_matrix(n_mels, n_fft, sample_rate, fmin=0.0, fmax=None):
    """Area-normalised triangles on Slaney's mel scale, weights computed in Hz, float64
    `[n_fft // 2 + 1, n_mels]` (librosa's `filters.mel` defaults, transposed)."""
    fmax = sample_rate / 2 if fmax is None else fmax
    if not 0.0 <= fmin < fmax <= sample_rate / 2:
        raise ConfigError(f"mel range must satisfy 0 <= fmin < fmax <= sample_rate / 2; got fmin={fmin}, "
                          f"fmax={fmax}, sample_rate={sample_rate}")
    edges = slaney_mel_to_hz(np.linspace(slaney_hz_to_mel(fmin), slaney_hz_to_mel(fmax), n_mels + 2))
    bins = np.linspace(0.0, sample_rate / 2, n_fft // 2 + 1)
    widths = np.diff(edges)
    ramps = edges[:, None] - bins[None, :]
    rising = -ramps[:-2] / widths[:-1, None]
    falling = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(rising, falling))
    weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    return weights.T
