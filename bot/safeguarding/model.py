"""The crisis screen's statistical half: a linear model over character n-grams and English words.

The lexicon (bot/crisis_lexicon.py) names exact phrases; students say the same things in words
no list names. This model scores a piece of normalised text (bot.crisis folds traditional
characters, leet, spacing and case first, so both halves read the same text) by summing one
weight per class for every feature present: each character 1- to 4-gram, and for Latin script
each word and pair of words. Every digit reads as 0: a number says something (30 pills, the
18th floor) but which number does not, and a temperature that happened to open urgent
check-in notes in the training sets ("37.0 ...") made "37.0" alone read as a wish to die. A
softmax over the classes gives the probability that the piece is ordinary talk ("none"),
distress, a peer report, or one of the urgent warning signs. The weights
are trained offline by `python -m bench.crisis_train` on the labelled sets in tests/data and
shipped in bot/safeguarding/model.json.gz (gzipped JSON); nothing is downloaded or trained at run
time, and every score can be explained by listing the features behind it (`explain`).
"""

from __future__ import annotations

import gzip
import itertools
import json
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from importlib import resources

import numpy as np
import numpy.typing as npt

__all__ = ["CLASSES", "Model", "clause_features", "features", "load"]

# "none" must stay first: its probability is what a piece of text is NOT a sign by.
CLASSES: tuple[str, ...] = (
    "none",
    "distress",
    "peer",
    "ideation",
    "passive_wish",
    "plan",
    "self_harm",
    "overdose",
    "finality",
    "burden",
)
MAX_N = 4
_SIZES = tuple(range(1, MAX_N + 1))
_WORD = re.compile(r"[a-z][a-z']*")
_SPACE = re.compile(r"\s+")
_DIGIT = re.compile(r"[0-9]")
WEIGHTS_FILE = "model.json.gz"

Floats = npt.NDArray[np.float64]


def clause_features(clause: str) -> set[str]:
    """The features of one clause: character 1..4-grams and, for Latin script, words and word
    pairs."""
    text = _DIGIT.sub("0", _SPACE.sub(" ", clause).strip())
    size = len(text)
    found = {text[i : i + n] for n in _SIZES for i in range(size - n + 1)}
    words = _WORD.findall(text)
    found.update("w:" + word for word in words)
    found.update(f"b:{a} {b}" for a, b in itertools.pairwise(words))
    return found


def features(clauses: Iterable[str]) -> set[str]:
    """The features of a piece of text made of several clauses: the union of theirs."""
    found: set[str] = set()
    for clause in clauses:
        found |= clause_features(clause)
    return found


@dataclass(frozen=True)
class Model:
    """Class weights per feature, the biases, and the decision threshold chosen by
    cross-validation."""

    classes: tuple[str, ...]
    index: dict[str, int]
    weights: Floats  # one row per feature, one column per class
    bias: Floats
    # A piece of text is a sign when 1 - P(none) reaches this.
    threshold: float
    # A lexicon hit counts only when the model's risk for the message reaches this.
    lexicon_floor: float
    # The hash of the training data the weights were fitted to.
    version: str

    def ids(self, found: Iterable[str]) -> list[int]:
        """The rows of the known features among found."""
        index = self.index
        return [index[feature] for feature in found if feature in index]

    def probabilities(self, parts: Sequence[Collection[int]]) -> Floats:
        """Class probabilities of several pieces of text, one row each, given their feature rows
        (all pieces in one numpy pass: a long message has dozens)."""
        logits = np.tile(self.bias, (len(parts), 1))
        sizes = np.array([len(part) for part in parts])
        present = np.flatnonzero(sizes)
        if len(present):
            flat = np.fromiter(itertools.chain.from_iterable(parts), dtype=np.int64)
            starts = np.r_[0, np.cumsum(sizes[present])[:-1]]
            sums = np.add.reduceat(self.weights[flat], starts, axis=0)
            logits[present] += sums / np.sqrt(sizes[present])[:, None]
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        result: Floats = exp / exp.sum(axis=1, keepdims=True)
        return result

    def explain(self, text_features: Iterable[str], category: str, top: int = 8) -> list[str]:
        """The features that pushed the text most towards category rather than none."""
        column = self.classes.index(category)
        rows = {feature: self.index[feature] for feature in text_features if feature in self.index}
        push = {
            feature: float(self.weights[row, column] - self.weights[row, 0])
            for feature, row in rows.items()
        }
        return sorted(push, key=lambda feature: -push[feature])[:top]

    def packed(self) -> bytes:
        """The model as the gzipped JSON load reads, byte for byte the same for the same
        weights."""
        return gzip.compress((self.to_json() + "\n").encode("utf-8"), mtime=0)

    def to_json(self) -> str:
        """The model as compact JSON: weights in thousandths, one list per feature."""
        scaled = np.rint(self.weights * 1000).astype(int)
        return json.dumps(
            {
                "version": self.version,
                "classes": list(self.classes),
                "threshold": round(self.threshold, 4),
                "lexicon_floor": round(self.lexicon_floor, 4),
                "bias": [round(float(b), 4) for b in self.bias],
                "features": {
                    feature: scaled[row].tolist()
                    for feature, row in sorted(self.index.items(), key=lambda item: item[0])
                },
            },
            ensure_ascii=False,
            separators=(",", ":"),
            sort_keys=False,
        )

    @classmethod
    def from_json(cls, text: str) -> Model:
        """The model to_json wrote."""
        data = json.loads(text)
        names = list(data["features"])
        weights = np.array([data["features"][name] for name in names], dtype=np.float64) / 1000
        return cls(
            classes=tuple(data["classes"]),
            index={name: row for row, name in enumerate(names)},
            weights=weights.reshape(len(names), len(data["classes"])),
            bias=np.array(data["bias"], dtype=np.float64),
            threshold=float(data["threshold"]),
            lexicon_floor=float(data["lexicon_floor"]),
            version=str(data["version"]),
        )


def load() -> Model:
    """The shipped model, from the package data."""
    packed = resources.files("bot.safeguarding").joinpath(WEIGHTS_FILE).read_bytes()
    return Model.from_json(gzip.decompress(packed).decode("utf-8"))
