"""Train the crisis screen's model and estimate how it does on a writer it has never read.

Run from the repository root: `.venv/bin/python -m bench.crisis_train [--write]`. Reads the
development set (tests/data/crisis_dev.tsv) and the writers' sets (tests/data/crisis_train/*.tsv),
then:

1. Leave-one-writer-out cross-validation: for each writer's set, trains on everything else and
   screens that set with the lexicon and the model together, for a range of thresholds. Prints
   recall, urgent recall, false positives and per-category recall, pooled over the writers.
2. Picks the threshold: the lowest whose pooled false-positive rate stays at or under TARGET_FPR
   (else under CEILING_FPR, preferring recall), so urgent signs are missed as rarely as possible.
3. With --write, trains on all the data and writes bot/safeguarding/model.json.gz with that
   threshold and the hash of the data (tests/test_crisis.py checks the shipped file matches
   the data).

Training is deterministic (full-batch gradient descent from zero weights, no sampling): the same
data gives the same file.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import inspect
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bench.crisis import CATEGORIES
from bot.safeguarding import screen as crisis
from bot.safeguarding.model import CLASSES, WEIGHTS_FILE, Model, clause_features, features

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
DEV = DATA / "crisis_dev.tsv"
WRITERS = DATA / "crisis_train"
OUT = ROOT / "bot" / "safeguarding" / WEIGHTS_FILE
THRESHOLDS = tuple(round(0.20 + 0.02 * step, 3) for step in range(40))
FLOORS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)
# Issue 13's line: at most 5 % false alarms on an unseen writer. At 6.5 % the shipped screen
# flagged 5-6 % of hard look-alikes and 2 % of ordinary notes in held-out batches, each one a
# card for a counselor and, when urgent, hotlines pushed at a child who was fine.
TARGET_FPR = 0.05
CEILING_FPR = 0.08
# Features seen in fewer messages than this are noise to the model and weight to the file.
MIN_COUNT = 2
L2 = 1e-6
STEPS = 300
RATE = 0.05
# Weights smaller than this (after training) are dropped from the shipped file.
PRUNE = 0.15
CLIP = (0.5, 3.0)

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Row:
    tier: str
    category: str
    text: str

    @property
    def label(self) -> str:
        return "none" if self.tier == "none" else self.category


def training_files() -> list[Path]:
    """Every labelled file the model is trained on, in a fixed order."""
    return [DEV, *sorted(WRITERS.glob("*.tsv"))]


def data_hash(paths: Sequence[Path]) -> str:
    """The hash the shipped model carries: of the names and bytes of its training files, and of
    the code that turns a clause into features (weights fitted to other features mean nothing)."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    digest.update(inspect.getsource(clause_features).encode())
    return digest.hexdigest()[:16]


def read(path: Path) -> list[Row]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            Row(row["tier"], row["category"], row["text"])
            for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        ]


def fit(
    rows: Sequence[Row], version: str = "", threshold: float = 0.5, floor: float = 0.0
) -> Model:
    """A multinomial logistic regression over the rows' features, L2-regularised, fitted by
    full-batch Adam from zero weights (deterministic)."""
    row_features = [features(crisis.clause_texts(row.text)) for row in rows]
    counts: Counter[str] = Counter()
    for found in row_features:
        counts.update(found)
    names = sorted(name for name, count in counts.items() if count >= MIN_COUNT)
    index = {name: i for i, name in enumerate(names)}
    rows_of: list[int] = []
    columns: list[int] = []
    for r, found in enumerate(row_features):
        ids = sorted(index[name] for name in found if name in index)
        rows_of.extend([r] * len(ids))
        columns.extend(ids)
    row_ids = np.array(rows_of, dtype=np.int64)
    col_ids = np.array(columns, dtype=np.int64)
    # Each message's features are scaled to unit length, as Model.probabilities does.
    per_row = np.bincount(row_ids, minlength=len(rows)).astype(np.float64)
    values = 1.0 / np.sqrt(np.maximum(per_row, 1.0))[row_ids]
    n, f, c = len(rows), len(names), len(CLASSES)
    target = np.zeros((n, c))
    target[np.arange(n), [CLASSES.index(row.label) for row in rows]] = 1.0
    # Each class weighs as much as its share would if the classes were balanced, within reason:
    # rare signs (overdose, finality) must not be drowned by ordinary talk.
    per_class = target.sum(axis=0)
    class_weight = np.clip(per_class.sum() / (c * np.maximum(per_class, 1)), CLIP[0], CLIP[1])
    sample_weight = (target * class_weight).sum(axis=1) / n
    by_feature = np.argsort(col_ids, kind="stable")
    sorted_cols = col_ids[by_feature]
    sorted_rows = row_ids[by_feature]
    sorted_values = values[by_feature]
    starts = np.flatnonzero(np.r_[True, sorted_cols[1:] != sorted_cols[:-1]])
    row_starts = np.flatnonzero(np.r_[True, row_ids[1:] != row_ids[:-1]])
    present_rows = row_ids[row_starts]

    weights = np.zeros((f, c))
    bias = np.zeros(c)
    moments = [np.zeros_like(weights), np.zeros_like(weights), np.zeros(c), np.zeros(c)]
    beta1, beta2 = 0.9, 0.999
    for step in range(1, STEPS + 1):
        logits = np.tile(bias, (n, 1))
        logits[present_rows] += np.add.reduceat(
            weights[col_ids] * values[:, None], row_starts, axis=0
        )
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=1, keepdims=True)
        error = (probs - target) * sample_weight[:, None]
        grad_w = np.zeros_like(weights)
        grad_w[sorted_cols[starts]] = np.add.reduceat(
            error[sorted_rows] * sorted_values[:, None], starts, axis=0
        )
        grad_w += L2 * weights
        grad_b = error.sum(axis=0)
        for (first, second), grad, param in (
            ((0, 1), grad_w, weights),
            ((2, 3), grad_b, bias),
        ):
            moments[first] = beta1 * moments[first] + (1 - beta1) * grad
            moments[second] = beta2 * moments[second] + (1 - beta2) * grad**2
            corrected = moments[first] / (1 - beta1**step)
            scale = np.sqrt(moments[second] / (1 - beta2**step)) + 1e-8
            param -= RATE * corrected / scale
    keep = np.abs(weights).max(axis=1) >= PRUNE
    kept = [name for name, k in zip(names, keep, strict=True) if k]
    return Model(
        classes=CLASSES,
        index={name: i for i, name in enumerate(kept)},
        weights=weights[keep],
        bias=bias,
        threshold=threshold,
        lexicon_floor=floor,
        version=version,
    )


@dataclass
class Outcome:
    """What the screen made of one row: the lexicon's hit and the model's best risk and hit."""

    row: Row
    lexicon: crisis.CrisisHit | None
    risk: float
    learned: crisis.CrisisHit | None

    def hit(self, threshold: float, floor: float, mode: str = "both") -> crisis.CrisisHit | None:
        if mode == "lexicon":
            return self.lexicon
        if mode == "model":
            return crisis.combine(None, self.risk, self.learned, threshold, floor)
        return crisis.combine(self.lexicon, self.risk, self.learned, threshold, floor)


def outcomes(rows: Sequence[Row], model: Model) -> list[Outcome]:
    return [Outcome(row, *crisis.readings(row.text, model)) for row in rows]


@dataclass
class Figures:
    signs: int = 0
    caught: int = 0
    urgent: int = 0
    urgent_caught: int = 0
    none: int = 0
    false_alarms: int = 0
    per_category: Counter[str] | None = None
    caught_category: Counter[str] | None = None

    @property
    def recall(self) -> float:
        return self.caught / max(self.signs, 1)

    @property
    def urgent_recall(self) -> float:
        return self.urgent_caught / max(self.urgent, 1)

    @property
    def fpr(self) -> float:
        return self.false_alarms / max(self.none, 1)


def measure(
    results: Sequence[Outcome], threshold: float, floor: float, mode: str = "both"
) -> Figures:
    figures = Figures(per_category=Counter(), caught_category=Counter())
    assert figures.per_category is not None and figures.caught_category is not None
    for outcome in results:
        hit = outcome.hit(threshold, floor, mode)
        row = outcome.row
        if row.tier == "none":
            figures.none += 1
            figures.false_alarms += hit is not None
            continue
        figures.signs += 1
        figures.caught += hit is not None
        figures.per_category[row.category] += 1
        figures.caught_category[row.category] += hit is not None
        if row.tier == "urgent":
            figures.urgent += 1
            figures.urgent_caught += hit is not None and hit.tier == "urgent"
    return figures


def choose(pooled: Sequence[Outcome]) -> tuple[float, float]:
    """The threshold and lexicon floor that catch the most signs while the pooled false
    positives stay within TARGET_FPR (or, failing that, CEILING_FPR)."""
    for limit in (TARGET_FPR, CEILING_FPR):
        best: tuple[float, float, float] | None = None
        for threshold in THRESHOLDS:
            for floor in FLOORS:
                figures = measure(pooled, threshold, floor)
                if figures.fpr <= limit and (best is None or figures.recall > best[0]):
                    best = (figures.recall, threshold, floor)
        if best is not None:
            return best[1], best[2]
    return THRESHOLDS[-1], 1.0


def row_text(name: str, figures: Figures) -> str:
    assert figures.per_category is not None and figures.caught_category is not None
    cells = [
        name,
        f"{figures.recall:.3f}",
        f"{figures.urgent_recall:.3f}",
        f"{figures.fpr:.3f}",
    ]
    for category in CATEGORIES:
        whole = figures.per_category[category]
        cells.append(f"{figures.caught_category[category] / whole:.3f}" if whole else "")
    return "| " + " | ".join(cells) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--write", action="store_true", help=f"write bot/safeguarding/{WEIGHTS_FILE}"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    dev = read(DEV)
    every = {path.stem: read(path) for path in sorted(WRITERS.glob("*.tsv"))}
    # A file of ordinary messages only (no sign to catch) is no writer to leave out: it trains
    # every fold, and its own held-out batch (tests/data/crisis_everyday_heldout.tsv) measures it.
    ordinary = [
        row for rows in every.values() if all(r.tier == "none" for r in rows) for row in rows
    ]
    writers = {name: rows for name, rows in every.items() if any(r.tier != "none" for r in rows)}
    pooled: list[Outcome] = []
    folds: dict[str, list[Outcome]] = {}
    for held, held_rows in writers.items():
        train = dev + ordinary
        train += [row for name, rows in writers.items() if name != held for row in rows]
        folds[held] = outcomes(held_rows, fit(train))
        pooled.extend(folds[held])
    threshold, floor = choose(pooled)
    header = ["screen", "recall", "urgent recall", "false-positive rate", *CATEGORIES]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    print(row_text("lexicon alone", measure(pooled, threshold, floor, "lexicon")))
    print(row_text("model alone", measure(pooled, threshold, floor, "model")))
    print(row_text("lexicon + model", measure(pooled, threshold, floor)))
    for held, results in folds.items():
        print(row_text(f"  writer {held} held out", measure(results, threshold, floor)))
    print(f"\nthreshold {threshold}, lexicon floor {floor}; sweep (pooled): t recall urgent fpr")
    for t in THRESHOLDS:
        figures = measure(pooled, t, floor)
        print(f"  {t:.3f} {figures.recall:.3f} {figures.urgent_recall:.3f} {figures.fpr:.3f}")
    if args.write:
        everything = dev + [row for rows in every.values() for row in rows]
        model = fit(everything, data_hash(training_files()), threshold, floor)
        OUT.write_bytes(model.packed())
        size = OUT.stat().st_size
        print(f"\nwrote {OUT.relative_to(ROOT)}: {len(model.index)} features, {size:,} bytes")
    print(f"({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
