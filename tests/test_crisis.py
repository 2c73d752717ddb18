"""Crisis screening against a labelled set of student sentences, and its edge cases."""

from __future__ import annotations

import csv
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.crisis import screen_text

DATA = Path(__file__).parent / "data" / "crisis_sentences.tsv"


def labelled() -> list[tuple[str, str, str]]:
    with DATA.open(encoding="utf-8") as handle:
        return [(r["label"], r["lang"], r["text"]) for r in csv.DictReader(handle, delimiter="\t")]


def test_labelled_set_recall_and_false_positives() -> None:
    rows = labelled()
    crisis = [text for label, _, text in rows if label == "crisis"]
    others = [text for label, _, text in rows if label != "crisis"]
    missed = [text for text in crisis if screen_text(text) is None]
    false_alarms = [text for text in others if screen_text(text) is not None]
    recall = 1 - len(missed) / len(crisis)
    fpr = len(false_alarms) / len(others)
    figures = (
        f"crisis set: {len(rows)} sentences, recall {recall:.3f} ({len(missed)} missed),"
        f" false-positive rate {fpr:.3f} ({len(false_alarms)} of {len(others)})"
    )
    print(figures)
    assert len(rows) >= 150 and len(crisis) >= 60
    assert recall >= 0.95, f"{figures}; missed: {missed}"
    assert fpr <= 0.05, f"{figures}; false alarms: {false_alarms}"


def test_negation_of_the_wish_but_not_of_living() -> None:
    assert screen_text("我不想死") is None
    assert screen_text("I don't want to die") is None
    hit = screen_text("我不想活了")
    assert hit is not None and hit.category == "death_wish" and hit.language == "zh"
    assert screen_text("i don't want to be alive anymore") is not None


def test_full_width_traditional_spacing_and_case() -> None:
    assert screen_text("ＫＭＳ") is not None
    assert screen_text("我想自殺") is not None
    assert screen_text("想 自 杀") is not None
    assert screen_text("I Want To DIE") is not None


def test_categories() -> None:
    cut = screen_text("I cut myself again")
    pills = screen_text("我把安眠药吃了一瓶")
    assert cut is not None and cut.category == "self_harm"
    assert pills is not None and pills.category == "overdose"


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_never_raises(text: str) -> None:
    screen_text(text)


def test_long_input_is_screened() -> None:
    assert screen_text("啊" * 9_000 + "我不想活了") is not None
    assert screen_text("a " * 20_000) is None
