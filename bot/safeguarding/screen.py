"""Screening what a student types for crisis language, in Chinese and English.

Pure and deliberately lopsided: a miss can cost a life, a false alarm costs a counselor a message.
The whole message is read, every phrase of the lexicon (bot/crisis_lexicon.py) anywhere in it,
clause by clause and across neighbouring clauses. A phrase names a warning sign (docs/crisis.md)
and is then dropped only for a reason that can be read off its clause or the clauses next to it:
the wish itself is negated (我不想死, "I'd never kill myself"), someone else is its subject (news,
a lesson, a book, 他), or a guard reads it as an idiom, an accident, a game or a farewell with its
reason (尴尬得想消失, 热得想死, "die of embarrassment", 明天解除隔离，这是最后一次打卡). A
negated wish to live (我不想活了, "I don't want to be alive") is itself the signal, never a
negation. Of all the signs found, the gravest is returned, with the words as the student wrote
them.

It stays one module over the size the code base aims for (issue 16) because it does one job, one
pipeline read top to bottom: normalise, cut into clauses, match the lexicon, read negation and
subject, combine with the model's reading. The private helpers (_normalise, _about, _en_subject
...) serve only that pipeline; moving them out would make them public without a second user.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, cast

import numpy as np

from bot.safeguarding.lexicon import (
    EN_AFTER_TOPIC,
    EN_FILLERS,
    EN_FIRST,
    EN_NEGATORS,
    EN_PEERS,
    EN_PRONOUNS,
    EN_SOURCES,
    EN_THIRD,
    PATTERNS,
    SEVERITY,
    TRADITIONAL_PAIRS,
    ZH_AFTER_TOPIC,
    ZH_NEGATED,
    ZH_PEERS,
    ZH_PRONOUNS,
    ZH_SOURCES,
    ZH_SUBJECT,
    Category,
    Language,
    Pattern,
)
from bot.safeguarding.model import Model, clause_features, load

__all__ = ["About", "Category", "CrisisHit", "Language", "Tier", "screen_text"]

About = Literal["self", "other"]
# "urgent": hotlines to the student at once and an urgent card; "concern": a counselor reads it
# the same day, with no hotline push.
Tier = Literal["urgent", "concern"]


@dataclass(frozen=True)
class CrisisHit:
    category: Category
    language: Language
    # "other": the student reports a friend, classmate or sibling, who may be in danger too.
    about: About = "self"
    # The words that matched, as the student wrote them, for the counselor's card.
    span: str = field(default="", compare=False)

    @property
    def tier(self) -> Tier:
        return tier_of(self.category)


def tier_of(category: str) -> Tier:
    """The tier a warning sign is read at: distress is a concern, every other sign urgent."""
    return "concern" if category == "distress" else "urgent"


_TRADITIONAL = {pair[0]: pair[1] for pair in TRADITIONAL_PAIRS.split()}
_INVISIBLE = frozenset("\u200b\u200c\u200d\ufeff")
_HAN = r"\u3400-\u9fff"
# Spaces and decoration between two Chinese characters ("想 自 杀", "想…死", "自※杀") hide nothing.
_HAN_GAP = re.compile(rf"(?<=[{_HAN}])[ \t~*_\-.·・※#/|\\+=^]+(?=[{_HAN}a-z])|(?<=[{_HAN}])[ \t]+")
_REPEATS = re.compile(r"([^\W\d_])\1{2,}")  # "dieeee", "啊啊啊": the letter once
_SPACES = re.compile(r"[ \t\xa0]{2,}|[\t\xa0]")
# A clause ends at punctuation or a line break; a full stop inside a number ("36.6") does not.
_CLAUSE_END = re.compile(r"[。！？!?；;，,、:：\n\r]|\.(?!\d)|(?<!\d)\.")
_WINDOW = 80
# How far back a pronoun looks for the peer it stands for ("我同桌昨天跟我说，她想死").
_PEER_WINDOW = 80
_SPAN_LIMIT = 80

# Leetspeak and masking only inside words, so "want 2 die" and "吃了2片" keep their digits.
_LEET = str.maketrans("013457@$!", "oieastasi")
_LEET_CHAR = re.compile(r"(?<=[a-z])[013457@$!](?=[a-z])|(?<![a-z0-9])\$(?=[a-z])")
# Letters spelled out one by one: "k m s", "s.u.i.c.i.d.e".
_SPELLED = re.compile(r"(?<![a-z])[a-z](?:[ .\-_*][a-z](?![a-z])){2,}")
_SEVERITY_RANK = {category: rank for rank, category in enumerate(SEVERITY)}
_EN_TOKEN = re.compile(r"[a-z']+")
# "a guy in my class", "a girl from my dorm": a peer without the word for one.
_EN_MY_GROUP = re.compile(r"\b(?:in|from)\s+my\s+(?:class|school|dorm|grade|year|team)\b")
_HAN_CHAR = re.compile(f"[{_HAN}]")
_SENTENCE_END = re.compile(r"[。！？!?\n]")
_EDGE = " \t。！？!?；;，,、:：.…~\n\r"
# In a clause the model flags with no "I" and no peer, "me" and "my" still make it the student's.
_EN_OBJECT_SELF = frozenset({"me", "my", "mine"})
_MODEL = load()
# Characters: about the longest message the model was trained on; a longer one is read in runs.
_MODEL_WINDOW = 200
_URGENT = frozenset(SEVERITY) - {"distress"}


_Replace = Callable[[re.Match[str]], str]


@dataclass(frozen=True)
class _View:
    """A normalised text and, for each of its characters, the index it came from."""

    text: str
    origin: Sequence[int]


def screen_text(text: str) -> CrisisHit | None:
    """The gravest crisis sign in the text that is not negated, reported about a stranger or a
    story, or an idiom; or None."""
    return screen_with(text, _MODEL)


def screen_with(text: str, model: Model | None) -> CrisisHit | None:
    """screen_text with a given model (None: the lexicon alone)."""
    if not text:
        return None
    found, risk, learned = readings(text, model)
    if model is None:
        return found
    return combine(found, risk, learned, model.threshold, model.lexicon_floor)


def readings(text: str, model: Model | None) -> tuple[CrisisHit | None, float, CrisisHit | None]:
    """What the lexicon found, and the model's risk and hit (0.0 and None without a model),
    before they are combined: the training bench weighs them at every threshold."""
    normal = _normalise(text)
    compact = _compact(normal)
    dropped: list[tuple[int, int]] = []
    found = lexicon_hit(text, normal, compact, dropped)
    if model is None:
        return found, 0.0, None
    risk, learned = model_hit(text, compact, model, dropped)
    return found, risk, learned


def combine(
    found: CrisisHit | None,
    risk: float,
    learned: CrisisHit | None,
    threshold: float,
    lexicon_floor: float,
) -> CrisisHit | None:
    """The lexicon's hit unless the model reads the message as plainly ordinary (its risk under
    lexicon_floor), else the model's when its risk reaches threshold.

    The lexicon names a sign by its exact words, so its category stands, except that the model
    may raise the student's own distress to an urgent sign: a model's peer report names no sign
    of its own, and the lexicon's reading of one is kept."""
    if found is not None and risk < lexicon_floor:
        found = None
    if learned is None or risk < threshold:
        return found
    if found is None:
        return learned
    if found.tier == "concern" and learned.tier == "urgent" and learned.about == "self":
        return learned
    return found


def lexicon_hit(
    text: str, normal: _View, compact: _View, dropped: list[tuple[int, int]] | None = None
) -> CrisisHit | None:
    """The gravest sign the lexicon finds and its guards let through; the phrases its guards
    drop (a negation, a stranger, an idiom) are added to dropped, as ranges of the text."""
    best: CrisisHit | None = None
    best_rank = len(SEVERITY)
    for pattern in PATTERNS:
        rank = _SEVERITY_RANK[pattern.category]
        if rank >= best_rank:
            continue
        views = (
            (normal,)
            if pattern.language == "zh" or compact.text == normal.text
            else (
                normal,
                compact,
            )
        )
        hit = _first_hit(pattern, views, text, dropped)
        if hit is not None:
            best, best_rank = hit, rank
    return best


def clauses(view: _View) -> list[tuple[int, int]]:
    """The clauses of a normalised text as (start, end), each with the mark that ends it."""
    bounds: list[tuple[int, int]] = []
    start = 0
    for match in _CLAUSE_END.finditer(view.text):
        if view.text[start : match.end()].strip(" 。！？!?；;，,、:：.\n\r"):
            bounds.append((start, match.end()))
        start = match.end()
    if view.text[start:].strip():
        bounds.append((start, len(view.text)))
    return bounds


def clause_texts(text: str) -> list[str]:
    """The normalised clauses of a text, as the model reads them."""
    view = _compact(_normalise(text))
    return [view.text[start:end] for start, end in clauses(view)]


def model_hit(
    text: str, view: _View, model: Model, dropped: Sequence[tuple[int, int]] = ()
) -> tuple[float, CrisisHit | None]:
    """The model's risk (1 - P(none)) of the riskiest part of the message, and the sign it names
    with the clause or pair of clauses that weigh most. The sign is None when the part is about a
    stranger, a story or a lesson, or when those clauses hold a phrase the lexicon's guards
    dropped (dropped: ranges of text), since the guard read what the phrase means there."""
    bounds = clauses(view)
    if not bounds:
        return 0.0, None
    ids = [frozenset(model.ids(clause_features(view.text[start:end]))) for start, end in bounds]
    parts = _parts(view.text, bounds)
    probs = model.probabilities([frozenset().union(*ids[first:last]) for first, last in parts])
    best = int(np.argmin(probs[:, 0]))
    best_risk, best_probs, best_part = 1.0 - float(probs[best, 0]), probs[best], parts[best]
    first, last = _riskiest_clauses(model, ids, *best_part)
    segment = view.text[bounds[best_part[0]][0] : bounds[best_part[1] - 1][1]]
    ranked = sorted(range(1, len(model.classes)), key=lambda column: -best_probs[column])
    label = model.classes[ranked[0]]
    about: About | None = "other" if label == "peer" else _segment_about(segment)
    if about is None:
        return best_risk, None
    if label == "peer":
        # A report about a peer names the peer's sign: the likeliest urgent one.
        label = next(model.classes[c] for c in ranked if model.classes[c] in _URGENT)
    quoted = view.text[bounds[first][0] : bounds[last - 1][1]]
    language: Language = "zh" if _HAN_CHAR.search(quoted) else "en"
    start, end = _trimmed(view.text, bounds[first][0], bounds[last - 1][1])
    if start >= end:
        return best_risk, None
    low, high = view.origin[start], view.origin[end - 1] + 1
    if any(d_start < high and d_end > low for d_start, d_end in dropped):
        return best_risk, None
    span = _original_span(view, start, end, text)
    return best_risk, CrisisHit(cast(Category, label), language, about, span=span)


def _parts(text: str, bounds: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The runs of clauses the model reads, as (first, last + 1): the whole message when it is
    as short as what the model was trained on, else runs up to that length; and each line of a
    message of several lines."""
    count = len(bounds)
    parts: set[tuple[int, int]] = set()
    if bounds[-1][1] - bounds[0][0] <= _MODEL_WINDOW:
        parts.add((0, count))
    else:
        # Runs start half a run apart, so any two clauses within half a run share one.
        last, started = 0, -_MODEL_WINDOW
        for first in range(count):
            if first < last and bounds[first][0] - started < _MODEL_WINDOW // 2:
                continue
            started = bounds[first][0]
            last = max(last, first + 1)
            while last < count and bounds[last][1] - bounds[first][0] <= _MODEL_WINDOW:
                last += 1
            parts.add((first, last))
    first = 0
    for index in range(1, count + 1):
        if index == count or "\n" in text[bounds[index - 1][1] - 1 : bounds[index][0] + 1]:
            if bounds[index - 1][1] - bounds[first][0] <= _MODEL_WINDOW:
                parts.add((first, index))
            first = index
    return sorted(parts)


def _riskiest_clauses(
    model: Model, ids: list[frozenset[int]], first: int, last: int
) -> tuple[int, int]:
    """The clause, or pair of neighbouring clauses, of a run that the model finds riskiest."""
    pieces = [(start, start + 1) for start in range(first, last)]
    pieces += [(start, start + 2) for start in range(first, last - 1)]
    probs = model.probabilities([frozenset().union(*ids[start:end]) for start, end in pieces])
    return pieces[int(np.argmin(probs[:, 0]))]


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """start and end moved inwards past spaces and punctuation."""
    while start < end and text[start] in _EDGE:
        start += 1
    while end > start and text[end - 1] in _EDGE:
        end -= 1
    return start, end


def _segment_about(segment: str) -> About | None:
    """Whom a clause the model flags is about: the student, a peer, or (None) a stranger, a story
    or a lesson, which the screen does not report."""
    if _HAN_CHAR.search(segment):
        subjects = ZH_SUBJECT.findall(segment)
        if not subjects or "" in subjects:
            return "self"
        if ZH_PEERS.intersection(subjects) or _mentions_zh_peer(segment):
            return "other"
        return None
    tokens = set(_EN_TOKEN.findall(segment))
    if tokens & EN_FIRST:
        return "self"
    if tokens & EN_PEERS or _EN_MY_GROUP.search(segment):
        return "other"
    if tokens & _EN_OBJECT_SELF:
        return "self"
    if tokens & EN_THIRD:
        return None
    return "self"


def _first_hit(
    pattern: Pattern,
    views: tuple[_View, ...],
    original: str,
    dropped: list[tuple[int, int]] | None,
) -> CrisisHit | None:
    for view in views:
        for match in pattern.regex.finditer(view.text):
            about = _about(pattern, view.text, match.start(), match.end())
            if about is None and dropped is not None and match.end() > match.start():
                dropped.append((view.origin[match.start()], view.origin[match.end() - 1] + 1))
            if about is not None:
                span = _original_span(view, match.start(), match.end(), original)
                return CrisisHit(pattern.category, pattern.language, about, span=span)
    return None


def _original_span(view: _View, start: int, end: int, original: str) -> str:
    """The words of the original text that became view.text[start:end], at most 80 characters."""
    if start >= end:
        return ""
    first = view.origin[start]
    last = view.origin[end - 1] + 1
    return original[first : min(last, first + _SPAN_LIMIT)]


class _Fold(dict[int, str]):
    """str.translate table folding each character once: NFKC, lower case, simplified."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        if char in _INVISIBLE:
            folded = ""
        else:
            folded = unicodedata.normalize("NFKC", char).casefold()
            folded = "".join(_TRADITIONAL.get(c, c) for c in folded)
            folded = folded.replace("\u2019", "'").replace("\u2018", "'")
        self[code] = folded
        return folded


_FOLD = _Fold()


def _normalise(text: str) -> _View:
    folded = text.translate(_FOLD)
    if all(len(_FOLD[ord(char)]) == 1 for char in set(text)):
        view = _View(folded, range(len(text)))
    else:
        origin: list[int] = []
        for index, char in enumerate(text):
            origin.extend([index] * len(_FOLD[ord(char)]))
        view = _View(folded, origin)
    view = _substitute(_HAN_GAP, lambda match: "", view)
    view = _substitute(_REPEATS, lambda match: match.group(1), view)
    return _substitute(_SPACES, lambda match: " ", view)


def _compact(normal: _View) -> _View:
    unleet = _substitute(_LEET_CHAR, lambda match: match.group().translate(_LEET), normal)
    return _substitute(_SPELLED, lambda match: re.sub(r"[ .\-_*]", "", match.group()), unleet)


def _substitute(regex: re.Pattern[str], replace: _Replace, view: _View) -> _View:
    """regex.sub over the view, keeping each character's origin."""
    pieces: list[str] = []
    origin: list[int] = []
    position = 0
    for match in regex.finditer(view.text):
        start, end = match.span()
        pieces.append(view.text[position:start])
        origin.extend(view.origin[position:start])
        replacement = replace(match)
        pieces.append(replacement)
        replaced = view.origin[start:end]
        # Spread over what they replace, so "k m s" read as "kms" still quotes all of "k m s".
        stretch = (len(replaced) - 1) / (len(replacement) - 1) if len(replacement) > 1 else 0
        origin.extend(replaced[round(i * stretch)] for i in range(len(replacement)))
        position = end
    if position == 0:
        return view
    pieces.append(view.text[position:])
    origin.extend(view.origin[position:])
    return _View("".join(pieces), origin)


def _about(pattern: Pattern, text: str, start: int, end: int) -> About | None:
    """Whose wish the phrase at text[start:end] states, or None when it does not count."""
    preceding = _CLAUSE_END.split(text[max(0, start - _WINDOW) : start])
    following = _CLAUSE_END.split(text[end : end + _WINDOW])
    before, after = preceding[-1], following[0]
    earlier = text[max(0, start - _PEER_WINDOW) : start]
    if pattern.guard is not None:
        around = " ".join((*preceding[-2:], text[start:end], *following[:2]))
        if pattern.guard(before, after, around):
            return None
    if pattern.language == "zh":
        if ZH_NEGATED.search(before) or ZH_AFTER_TOPIC.match(after):
            return None
        about = _zh_subject(before, earlier)
    else:
        tokens = _EN_TOKEN.findall(before)
        if _en_negated(tokens):
            return None
        if _HAN_CHAR.search(before):
            # English slang inside a Chinese sentence (我朋友说他要 kms): the Chinese says who.
            about = _zh_subject(before, earlier)
        elif pattern.self_named:
            return "self"
        elif EN_AFTER_TOPIC.match(after):
            return None
        else:
            about = _en_subject(tokens, earlier)
    if pattern.others_only and about != "other":
        return None
    return about


def _zh_subject(before: str, earlier: str) -> About | None:
    # findall yields "" for the first person and the marker itself for anyone else.
    subjects = ZH_SUBJECT.findall(before)
    if not subjects:
        # A Chinese sentence keeps its subject across clauses (我哥把东西都送人了，还说……):
        # a peer named earlier in the sentence is still the one who speaks.
        sentence = _SENTENCE_END.split(earlier)[-1]
        carried = ZH_SUBJECT.findall(sentence)
        if carried and carried[-1] in ZH_PEERS:
            return "other"
        return "self"
    if subjects[-1] == "":
        return "self"
    if ZH_SOURCES.intersection(subjects):
        return None
    last = subjects[-1]
    if last in ZH_PEERS or (last in ZH_PRONOUNS and _mentions_zh_peer(earlier)):
        return "other"
    return None


def _mentions_zh_peer(earlier: str) -> bool:
    # 我 bestie 说她想 kms: students name their friends in English too.
    return any(peer in earlier for peer in ZH_PEERS) or bool(
        EN_PEERS.intersection(_EN_TOKEN.findall(earlier))
    )


def _en_negated(tokens: list[str]) -> bool:
    for back, token in enumerate(reversed(tokens[-6:])):
        if token in EN_NEGATORS:
            return True
        if token not in EN_FILLERS or back >= 4:
            return False
    return False


def _en_subject(tokens: list[str], earlier: str) -> About | None:
    if EN_SOURCES.intersection(tokens):
        return None
    for token in reversed(tokens):
        if token in EN_FIRST:
            return "self"
        if token in EN_PEERS:
            return "other"
        if token in EN_PRONOUNS:
            named = EN_PEERS.intersection(_EN_TOKEN.findall(earlier))
            return "other" if named or _EN_MY_GROUP.search(earlier) else None
        if token in EN_THIRD:
            return None
    return "self"
