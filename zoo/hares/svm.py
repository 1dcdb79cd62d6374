"""ESC-50's protocol: a linear SVM (scikit-learn, the `benchmarks` extra) on frozen embeddings of the
full 5-s clips, cross-validated over the 5 folds (docs/paper-facts.md section 1d, after BraVe):

- the regularisation is swept over `PAPER_REGULARIZATION`; the best value is picked on the first
  split (fold 1 held out) and the reported score is the mean accuracy over all 5 splits;
- each value is an L2 weight lambda of `lambda/2 |w|^2 + mean hinge loss`, i.e. scikit-learn's
  `LinearSVC(C = 1 / (lambda * n_train))`: the paper gives the values, not the parametrisation,
  and read as `C` itself they would all sit at the heavily regularised end;
- features are standardised with each split's training statistics; clips with several windows
  are scored by averaging the windows' decision values.

The paper also trains on "10 epochs worth of augmented samples": with `train_folds` (the probe's
`augmented_passes`, 10 under `--paper_protocol`) each split trains on passes of example-mixed
clips of its training folds and is scored on the held-out fold's clean clips; without, on one
pass of the clean clips.
"""

import numpy as np

from zoo.errors import ZooError
from zoo.hares.linear_probe import average_by_clip

PAPER_REGULARIZATION = (3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2)


def _fit_predict(train, test, regularization, seed):
    from sklearn.svm import LinearSVC
    (train_x, train_y, _), (test_x, test_y, test_ids) = train, test
    mean, std = train_x.mean(0), train_x.std(0) + 1e-6
    svm = LinearSVC(C=1.0 / (regularization * len(train_x)), max_iter=5000, random_state=seed)
    svm.fit((train_x - mean) / std, train_y.argmax(1))
    decision = svm.decision_function((test_x - mean) / std)
    if decision.ndim == 1:                       # two classes: one column
        decision = np.stack([-decision, decision], 1)
    scores = np.full((len(test_x), train_y.shape[1]), -np.inf)
    scores[:, svm.classes_] = decision
    _, clip_scores = average_by_clip(test_ids, scores)
    _, clip_truth = average_by_clip(test_ids, test_y)
    return float(np.mean(clip_scores.argmax(1) == clip_truth.argmax(1)))


def svm_fold_sweep(folds, regularization=PAPER_REGULARIZATION, seed=0, train_folds=None):
    """`folds`: {fold name: (embeddings `[n, D]`, one-hot labels `[n, C]`, clip ids `[n]`)}, in fold
    order; `train_folds` (same keys; soft labels allowed, their argmax is the class) replaces them on
    the training side (augmented passes). Returns {"score": mean accuracy over the splits,
    "regularization": the value picked on the first split, "first_split": {value: accuracy},
    "splits": {fold: accuracy}}."""
    try:
        import sklearn  # noqa: F401
    except ImportError as error:
        raise ZooError("the ESC-50 SVM protocol needs scikit-learn: pip install 'hares-zoo[benchmarks]'") from error
    names = list(folds)
    if len(names) < 2:
        raise ZooError(f"the SVM protocol cross-validates over folds; got {names}")

    def split(held_out):
        train = [(train_folds or folds)[n] for n in names if n != held_out]
        return tuple(np.concatenate([part[k] for part in train]) for k in range(3)), folds[held_out]

    first = {value: _fit_predict(*split(names[0]), value, seed) for value in regularization}
    best = max(regularization, key=lambda v: (first[v], v))   # ties: the stronger regularisation
    splits = {n: (first[best] if n == names[0] else _fit_predict(*split(n), best, seed)) for n in names}
    return {"score": float(np.mean(list(splits.values()))), "regularization": best, "first_split": first,
            "splits": splits}
