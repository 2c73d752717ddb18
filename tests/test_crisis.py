"""Crisis screening against a labelled set of student sentences, and its edge cases."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.crisis import CrisisHit, screen_text

DATA = Path(__file__).parent / "data" / "crisis_sentences.tsv"
MIN_RECALL = 0.95
MAX_FALSE_POSITIVE_RATE = 0.05


def labelled() -> list[tuple[str, str, str]]:
    with DATA.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [(row["label"], row["lang"], row["text"]) for row in reader]


ROWS = labelled()
CRISIS = [text for label, _, text in ROWS if label == "crisis"]


def test_labelled_set_is_large_and_balanced() -> None:
    counts: dict[tuple[str, str], int] = {}
    for label, lang, _ in ROWS:
        counts[label, lang] = counts.get((label, lang), 0) + 1
    assert {label for label, _ in counts} == {"crisis", "ambiguous", "benign"}
    assert all(counts.get((label, lang), 0) > 0 for label, _ in counts for lang in ("zh", "en"))
    assert len(ROWS) >= 160
    assert counts["crisis", "zh"] + counts["crisis", "en"] >= 60
    assert counts["ambiguous", "zh"] + counts["ambiguous", "en"] >= 40
    assert len({text for _, _, text in ROWS}) == len(ROWS), "duplicate sentences"


def test_labelled_set_recall_and_false_positives() -> None:
    others = [text for label, _, text in ROWS if label != "crisis"]
    missed = [text for text in CRISIS if screen_text(text) is None]
    false_alarms = [text for text in others if screen_text(text) is not None]
    recall = 1 - len(missed) / len(CRISIS)
    fpr = len(false_alarms) / len(others)
    figures = (
        f"crisis set: {len(ROWS)} sentences, recall {recall:.3f} ({len(missed)} of {len(CRISIS)}"
        f" missed), false-positive rate {fpr:.3f} ({len(false_alarms)} of {len(others)})"
    )
    print(figures)
    assert recall >= MIN_RECALL, f"{figures}; missed: {missed}"
    assert fpr <= MAX_FALSE_POSITIVE_RATE, f"{figures}; false alarms: {false_alarms}"


def test_detected_language_matches_the_label() -> None:
    wrong = [
        (lang, text)
        for label, lang, text in ROWS
        if label == "crisis" and (hit := screen_text(text)) is not None and hit.language != lang
    ]
    assert wrong == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我不想死", None),
        ("我没有想自杀", None),
        ("我从来没想过自杀", None),
        ("I don't want to die", None),
        ("I'm not suicidal", None),
        ("I would never kill myself", None),
        ("我不想活了", CrisisHit("passive_wish", "zh")),
        ("有时候觉得死了算了", CrisisHit("passive_wish", "zh")),
        ("我在想要不要跳楼", CrisisHit("ideation", "zh")),
        ("i don't want to be alive anymore", CrisisHit("passive_wish", "en")),
        ("im not ok i want to die", CrisisHit("passive_wish", "en")),
        ("nobody would care if i was gone", CrisisHit("passive_wish", "en")),
        ("i dont wanna live anymore", CrisisHit("passive_wish", "en")),
        ("i dont wanna live in this tiny room forever", None),
    ],
)
def test_negation_of_the_wish_but_not_of_living(text: str, expected: CrisisHit | None) -> None:
    assert screen_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "笑死我了",
        "累死了",
        "热死了",
        "死机了",
        "想死你们了",
        "this homework is killing me",
        "dying to see my friends",
        "I could kill for a pizza",
        "the phone died",
        "killing time",
        "my grandpa wanted to die at home",
        "电影里的主角最后自杀了",
        "we had a suicide prevention talk",
        "我们班今天讲了防自杀的心理课",
        "电视剧里的女主跳河了",
    ],
)
def test_idioms_and_other_peoples_deaths_do_not_fire(text: str) -> None:
    assert screen_text(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我朋友想自杀", CrisisHit("ideation", "zh", "other")),
        ("我同桌昨天跟我说，她想死", CrisisHit("passive_wish", "zh", "other")),
        ("我同学说她不想活了", CrisisHit("passive_wish", "zh", "other")),
        ("我妹妹说她想消失", CrisisHit("distress", "zh", "other")),
        ("my friend wants to die", CrisisHit("passive_wish", "en", "other")),
        ("my friend said she wants to kill herself", CrisisHit("ideation", "en", "other")),
        ("my friend told me she cuts herself", CrisisHit("self_harm", "en", "other")),
        ("I told my friend I want to die", CrisisHit("passive_wish", "en", "self")),
        ("同学都不理我想死", CrisisHit("passive_wish", "zh", "self")),
        # Not a report about a peer: a stranger, a story, a negation, an idiom, an accident.
        ("他想死", None),
        ("she wants to die", None),
        ("我朋友不想死", None),
        ("my friend doesn't want to die", None),
        ("我朋友想死你们了", None),
        ("my friend fell and cut herself", None),
        ("our history lesson was about a king who killed himself", None),
        ("my friend showed me a movie where the hero kills himself", None),
        ("朋友推荐的小说里主角自杀了", None),
    ],
)
def test_a_peer_at_risk_is_a_report_about_someone_else(
    text: str, expected: CrisisHit | None
) -> None:
    assert screen_text(text) == expected


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("ＫＭＳ", "ideation"),
        ("ｉ ｗａｎｔ ｔｏ ｄｉｅ", "passive_wish"),
        ("我想自殺", "ideation"),
        ("活著沒有意義", "passive_wish"),
        ("我又自殘了", "self_harm"),
        ("想 自 杀", "ideation"),
        ("想…死", "passive_wish"),
        ("I Want To DIE", "passive_wish"),
        ("I WANNA DIEEEE", "passive_wish"),
        ("want 2 die", "passive_wish"),
        ("k m s", "ideation"),
        ("su1c1de", "ideation"),
        ("unalive", "ideation"),
        ("想si", "passive_wish"),
        ("i want to kill my\u200bself", "ideation"),
    ],
)
def test_full_width_traditional_spacing_case_and_spelling(text: str, category: str) -> None:
    hit = screen_text(text)
    assert hit is not None and hit.category == category


def test_categories() -> None:
    assert screen_text("I cut myself again") == CrisisHit("self_harm", "en")
    assert screen_text("我把安眠药吃了一瓶") == CrisisHit("overdose", "zh")
    assert screen_text("i took all my sleeping pills") == CrisisHit("overdose", "en")
    assert screen_text("割腕") == CrisisHit("self_harm", "zh")
    assert screen_text("I want to end it all") == CrisisHit("ideation", "en")
    assert screen_text("昨晚又用刀片划手了") == CrisisHit("self_harm", "zh")
    # Someone else's medicine, hoarded by the student: the owner is not the one who acts.
    assert screen_text("我把妈妈的药都偷偷攒起来了") == CrisisHit("overdose", "zh")


def test_empty_and_punctuation_only() -> None:
    assert screen_text("") is None
    assert screen_text("。。。!!!???") is None


@settings(max_examples=400, deadline=None)
@given(st.text())
def test_never_raises(text: str) -> None:
    hit = screen_text(text)
    assert hit is None or isinstance(hit, CrisisHit)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example("死" * 10_000)
@example("想" * 9_999 + "死")
@given(st.text(min_size=1, max_size=40).map(lambda chunk: (chunk * 10_000)[:10_000]))
def test_never_raises_on_10000_characters(text: str) -> None:
    assert len(text) == 10_000
    hit = screen_text(text)
    assert hit is None or isinstance(hit, CrisisHit)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(before=st.text(), sentence=st.sampled_from(CRISIS), after=st.text())
def test_a_crisis_line_is_found_whatever_surrounds_it(
    before: str, sentence: str, after: str
) -> None:
    """Negation, subjects and idioms are read within the clause, so other lines change nothing."""
    if screen_text(sentence) is not None:
        assert screen_text(f"{before}\n{sentence}\n{after}") is not None


@pytest.mark.parametrize(
    "text",
    [
        "啊" * 9_000 + "我不想活了",
        "a " * 20_000 + "i want to die",
        "不" * 10_000 + "\n想死",
        "s" * 10_000 + "u" * 10_000 + "icide " + "want to" * 3_000 + "\nkms",
        ("my " * 5_000) + "\nkill myself",
    ],
)
def test_long_adversarial_input_is_screened_to_the_end(text: str) -> None:
    assert screen_text(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "a " * 20_000,
        "不想" * 5_000,
        "想死你" * 5_000,
        "s*" * 10_000,
        "k m " * 10_000,
        "d1" * 10_000,
        "he wants to die " * 2_000,
    ],
)
def test_long_repetitive_input_finishes(text: str) -> None:
    """Each of these would take minutes if any pattern backtracked catastrophically."""
    screen_text(text)
