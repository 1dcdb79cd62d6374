"""Intervals and paired verdicts (`zoo.hares.intervals`) on fake suites whose bootstrap distributions
are worked out by hand."""

import numpy as np
import pytest

from zoo.errors import ConfigError
from zoo.hares.intervals import TaskOutcomes, interval, paired, recording_of, replicate_scores
from zoo.hares.report import interval_markdown, interval_summary


def outcomes(rights, windows=None):
    """TaskOutcomes with one recording per entry of `rights`, `windows[i]` windows each (all right or
    all wrong as `rights[i]`)."""
    windows = windows or [1] * len(rights)
    ids = [f"rec{i}.wav@{w}-{w + 2}" for i, n in enumerate(windows) for w in range(n)]
    right = [float(r) for r, n in zip(rights, windows) for _ in range(n)]
    return TaskOutcomes(np.array(ids), np.array(right))


def test_windows_of_one_recording_are_resampled_together():
    assert recording_of("audio/naev/track.ogg@12.0-18.0") == "audio/naev/track.ogg"
    task = outcomes([1, 0], windows=[2, 1])         # recording A: 2 windows right; B: 1 window wrong
    # Draws of two recordings: AA 100 %, AB or BA 2/3, BB 0 (1/4, 1/2, 1/4). Were the three windows
    # drawn one by one, 1/3 would appear too.
    values = np.round(replicate_scores({"t": task}), 1)
    assert set(values) == {0.0, 66.7, 100.0}
    assert np.mean(values == 66.7) == pytest.approx(0.5, abs=0.04)
    mean, low, high = interval({"t": task})
    assert (round(mean, 1), low, high) == (66.7, 0.0, 100.0)
    assert interval({"t": outcomes([1, 1, 1])}) == (100.0, 100.0, 100.0)


def test_a_domain_mean_resamples_each_task_on_its_own():
    suite = {"a": outcomes([1, 1]), "b": outcomes([1, 0], windows=[2, 1])}
    # task a is 100 in every replicate; the mean is (100 + {0, 66.7, 100}) / 2.
    assert set(np.round(replicate_scores(suite), 1)) == {50.0, 83.3, 100.0}
    assert interval(suite)[0] == pytest.approx((100 + 200 / 3) / 2)


def test_paired_verdicts():
    rng = np.random.default_rng(0)
    half = rng.permutation([1] * 20 + [0] * 20)
    strong, weak = {"t": outcomes([1] * 40)}, {"t": outcomes(list(half))}
    difference, low, high, verdict = paired(strong, weak)
    assert difference == pytest.approx(50.0) and low > 0 and verdict == "A beats B"
    assert paired(weak, strong)[3] == "B beats A"
    assert paired(weak, weak) == (0.0, 0.0, 0.0, "no difference shown")
    # One recording apart out of 40: the paired difference is 0 or +2.5 per draw of it; never below 0,
    # so its interval starts at 0 and no verdict is given.
    one_more = half.copy()
    one_more[np.flatnonzero(half == 0)[0]] = 1
    difference, low, high, verdict = paired({"t": outcomes(list(one_more))}, weak)
    assert (round(difference, 6), low, verdict) == (2.5, 0.0, "no difference shown") and high > 0
    with pytest.raises(ConfigError, match="same test clips"):
        paired({"t": outcomes([1, 1])}, {"t": outcomes([1, 1, 1])})


def test_summary_table_names_the_verdict():
    strong = {"xs_megaglest_call": outcomes([1] * 30), "xs_naev_music_mood": outcomes([1] * 30)}
    weak = {"xs_megaglest_call": outcomes([1, 0] * 15), "xs_naev_music_mood": outcomes([1] * 30)}
    summary = interval_summary({"student": strong, "logmel_stats": weak}, "logmel_stats")
    assert summary["student"]["domains"]["music"] == [100.0, 100.0, 100.0]
    assert summary["student"]["vs_baseline"]["speech"][:1] == [50.0]
    assert summary["student"]["vs_baseline"]["mean"][3] == "A beats B"
    assert "vs_baseline" not in summary["logmel_stats"]
    table = interval_markdown(summary, "logmel_stats")
    assert "| student | " in table and "+25.0 [" in table and "student beats logmel_stats" in table
    named = interval_markdown(interval_summary({"BYOL-A": strong, "logmel_stats": weak}, "logmel_stats"), "logmel_stats")
    assert "BYOL-A beats logmel_stats" in named                  # a model name with A or B in it
