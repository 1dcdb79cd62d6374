"""How sure a probe score is: 95 % intervals by bootstrap over test recordings, and paired verdicts.

A test *recording* is a clip id without its window (`path@start-end` -> `path`): the windows cut from
one music track or one long recording are not independent, so they are resampled together. For one
task, a bootstrap replicate draws the task's recordings with replacement and scores the clips of the
drawn ones (a recording drawn twice counts twice); a domain mean or suite mean is the plain mean of
its tasks' replicate scores, each task resampled on its own. The interval is the 2.5th to 97.5th
percentile of `REPLICATES` replicates.

Two encoders scored on the same test clips are compared **paired**: the same draws for both, and the
interval of the difference. "A beats B" is said only where that interval excludes 0.

    outcomes = {"task": TaskOutcomes(clip_ids, right)}        # per test clip: probe right or not
    interval(outcomes)                                        # (mean %, low %, high %)
    paired(outcomes_a, outcomes_b)                            # difference (%), low, high, verdict

Accuracy tasks only: a clip's outcome is 1 when the probe's clip-level prediction is right.
"""

import dataclasses
import hashlib

import numpy as np

from zoo.errors import ConfigError

REPLICATES = 2000
LEVEL = 0.95


def recording_of(clip_id):
    """The recording a test clip was cut from: its id without the `@start-end` window."""
    return str(clip_id).split("@", 1)[0]


@dataclasses.dataclass(frozen=True)
class TaskOutcomes:
    clip_ids: np.ndarray       # str [clips]
    right: np.ndarray          # float [clips]: 1.0 where the probe got the clip right

    @property
    def score(self):
        return float(np.mean(self.right))


def _recording_sums(outcomes):
    """(sorted recording ids, right clips per recording, clips per recording) of one task."""
    recordings = np.array([recording_of(c) for c in outcomes.clip_ids])
    ids, inverse = np.unique(recordings, return_inverse=True)
    right = np.bincount(inverse, weights=np.asarray(outcomes.right, np.float64), minlength=len(ids))
    clips = np.bincount(inverse, minlength=len(ids)).astype(np.float64)
    return ids, right, clips


def _draws(task, recordings, replicates, seed):
    """`[replicates, recordings]` counts of each recording in each replicate: the same for every
    encoder scored on the same recordings of `task` (what makes the comparison paired)."""
    key = hashlib.sha256(f"{task}:{seed}".encode()).digest()
    rng = np.random.default_rng(int.from_bytes(key[:8], "little"))
    picks = rng.integers(0, recordings, size=(replicates, recordings))
    counts = np.zeros((replicates, recordings))
    np.add.at(counts, (np.arange(replicates)[:, None], picks), 1)
    return counts


def replicate_scores(outcomes, replicates=REPLICATES, seed=0):
    """{task: TaskOutcomes} -> float `[replicates]`: the mean over tasks of each bootstrap replicate's
    task score, in %."""
    if not outcomes:
        raise ConfigError("no task outcomes to bootstrap")
    total = np.zeros(replicates)
    for task, task_outcomes in outcomes.items():
        ids, right, clips = _recording_sums(task_outcomes)
        counts = _draws(task, len(ids), replicates, seed)
        total += 100 * (counts @ right) / (counts @ clips)
    return total / len(outcomes)


def _bounds(values, level=LEVEL):
    low, high = np.percentile(values, [100 * (1 - level) / 2, 100 * (1 + level) / 2])
    return float(low), float(high)


def interval(outcomes, replicates=REPLICATES, seed=0):
    """(mean of the tasks' scores, low, high), in %: the 95 % bootstrap interval of a task, a domain
    or a suite, whichever tasks `outcomes` holds."""
    mean = float(np.mean([100 * o.score for o in outcomes.values()]))
    return (mean, *_bounds(replicate_scores(outcomes, replicates, seed)))


def _same_clips(outcomes_a, outcomes_b):
    if set(outcomes_a) != set(outcomes_b):
        raise ConfigError(f"paired comparison needs the same tasks; got {sorted(outcomes_a)} and {sorted(outcomes_b)}")
    for task in outcomes_a:
        if sorted(outcomes_a[task].clip_ids) != sorted(outcomes_b[task].clip_ids):
            raise ConfigError(f"paired comparison needs the same test clips; {task} differs")


def paired(outcomes_a, outcomes_b, replicates=REPLICATES, seed=0):
    """A against B on the same tasks and test clips -> (mean difference A - B in %, low, high,
    verdict): "A beats B" / "B beats A" where the paired 95 % interval excludes 0, else "no
    difference shown"."""
    _same_clips(outcomes_a, outcomes_b)
    difference = replicate_scores(outcomes_a, replicates, seed) - replicate_scores(outcomes_b, replicates, seed)
    mean = float(np.mean([100 * (outcomes_a[t].score - outcomes_b[t].score) for t in outcomes_a]))
    low, high = _bounds(difference)
    verdict = "A beats B" if low > 0 else "B beats A" if high < 0 else "no difference shown"
    return mean, low, high, verdict
