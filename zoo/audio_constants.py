"""Audio constants shared by every frontend and encoder.

Values from the paper's text, Wang et al. 2022 section 3 ("we extract log-mel spectrograms with 80
features using a window size of 25 ms and a stride of 10 ms from a waveform sampled at 16 kHz"); see
docs/paper-facts.md section 3.
"""

SAMPLE_RATE = 16000          # Hz, the rate every encoder expects
WINDOW_SECONDS = 0.025       # 25 ms analysis window
HOP_SECONDS = 0.010          # 10 ms hop
N_MELS = 80                  # paper text; Table 5 of the paper draws 128 bins
FFT_LENGTH = 512             # smallest power of two >= the 400-sample window
# The paper does not state the mel range nor the log offset (docs/paper-facts.md section 7.6);
# these follow BYOL-A's config (f_min 60, f_max 7800), which the paper reproduces.
MEL_FMIN = 60.0              # Hz
MEL_FMAX = 7800.0            # Hz
LOG_OFFSET = 1e-6            # added to mel power before the natural log
# Floor for the per-spectrogram standard deviation, in natural-log units: keeps silence and
# near-silence from amplifying rounding noise (docs/design.md, "LiteRT notes").
SPECTROGRAM_STD_FLOOR = 0.1
