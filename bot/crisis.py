"""Screening what a student types for crisis language, in Chinese and English.

Pure and conservative in one direction only: a miss can cost a life, a false alarm costs a
counselor a message. Idioms that merely contain 死 or "kill" (笑死了, "this is killing me") do not
match because the patterns name the self, the wish or the method; fear of dying ("I don't want
to die", 我不想死) is negated, while a negated wish to live (我不想活了) is itself the signal.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

Category = Literal["suicide", "self_harm", "death_wish", "overdose"]

# Traditional characters that appear in these patterns, mapped to their simplified forms.
_SIMPLIFIED = str.maketrans(
    "殺輕結麼沒樓藥飲盡斷腕覺這個們會從給還見裡死傷劃點過頭後讓離開尋吞滅亂為種該"
    "歡氣樂們緒厭棄難絕",
    "杀轻结么没楼药饮尽断腕觉这个们会从给还见里死伤划点过头后让离开寻吞灭乱为种该"
    "欢气乐们绪厌弃难绝",
)

_NEGATION_ZH = re.compile(
    r"(?:(?<!要)不|没有?|没想过|从没|从来没|别|并不|不会|才不)[^，。！？,.!?]{0,2}$"
)
_NEGATION_EN = re.compile(
    r"\b(?:don'?t|do not|doesn'?t|never|not|no|won'?t|wouldn'?t|didn'?t|am not|i'm not|"
    r"isn'?t|dont)\b(?:\s+\w+){0,2}\s*$"
)


@dataclass(frozen=True)
class CrisisHit:
    category: Category
    language: Literal["zh", "en"]


@dataclass(frozen=True)
class _Pattern:
    regex: re.Pattern[str]
    category: Category
    language: Literal["zh", "en"]
    negatable: bool


def _zh(pattern: str, category: Category, *, negatable: bool = False) -> _Pattern:
    return _Pattern(re.compile(pattern), category, "zh", negatable)


def _en(pattern: str, category: Category, *, negatable: bool = False) -> _Pattern:
    return _Pattern(re.compile(pattern), category, "en", negatable)


_PATTERNS: tuple[_Pattern, ...] = (
    # Chinese: the wish, the plan, the method.
    _zh(r"(?:想|要|准备|打算|考虑|会|去|决定)(?:要)?自杀", "suicide", negatable=True),
    _zh(
        r"自杀(?:的)?(?:念头|想法|算了|好了)|自杀过|轻生|寻短见|自尽|了结(?:自己|生命)", "suicide"
    ),
    _zh(r"结束(?:自己的?|我的)?生命|结束自己|结束这一切", "suicide"),
    _zh(
        r"(?:我|想|要|准备|打算|去|会|考虑)[^，。！？,.!?]{0,4}(?:跳楼|跳河|跳桥|跳江|上吊|烧炭|喝农药|卧轨)",
        "suicide",
        negatable=True,
    ),
    _zh(
        r"自残|自伤|割腕|割手腕|割自己|划(?:自己|手臂|手腕)|伤害自己|弄伤自己|打自己",
        "self_harm",
        negatable=True,
    ),
    _zh(
        r"不想活|活不下去|活着没(?:有)?(?:意思|意义|必要)|没有活下去的|不想再活|活够了",
        "death_wish",
    ),
    _zh(
        r"(?<![不没别])想死(?!你|您|他|她|我们|你们|大家|了你)|好想死|真想死|想去死", "death_wish"
    ),
    _zh(
        r"想si|想s[iǐ]|死了算了|死了就好了|不如死了|还不如死|死了(?:也)?没人(?:在乎|会难过|管)",
        "death_wish",
    ),
    _zh(r"想消失|想从这个世界消失|离开这个世界|不想存在|没人在乎我(?:是)?死", "death_wish"),
    _zh(
        r"(?:吃|吞|喝)(?:了|掉)?(?:一|整|半)?(?:瓶|把|盒|堆|大把)(?:的)?(?:安眠药|药|药片)",
        "overdose",
    ),
    _zh(
        r"安眠药.{0,6}(?:吃|吞)|(?:吃|吞|攒).{0,6}安眠药|过量服药|吃药自杀|吞药",
        "overdose",
        negatable=True,
    ),
    # English.
    _en(
        r"\b(?:kill|killing|end|ending|hurt|hurting|harm|harming)\s+my\s?self\b",
        "suicide",
        negatable=True,
    ),
    _en(r"\b(?:kms|kys|unalive|unaliving)\b", "suicide"),
    _en(
        r"\bsuicidal\b|\bsuicide\s+(?:thoughts?|plan)|\bcommit(?:ting)?\s+suicide\b|"
        r"\b(?:i|i'm|im|me|my)\b[^.!?]{0,25}\bsuicide\b",
        "suicide",
        negatable=True,
    ),
    _en(
        r"\bend\s+(?:it\s+all|my\s+life|everything|things)\b|\btake\s+my\s+(?:own\s+)?life\b",
        "suicide",
        negatable=True,
    ),
    _en(r"\bjump\s+off\s+(?:a|the|our|my)\s+(?:bridge|building|roof|balcony)", "suicide"),
    _en(
        r"\b(?:cut|cutting|burn|burning)\s+my\s?self\b|\bself[\s-]?harm|\bslit\s+my\s+wrists?",
        "self_harm",
        negatable=True,
    ),
    _en(
        r"\b(?:want|wanted|going)\s+(?:to|2)\s+die\b|\bwanna\s+die\b|\bwant\s+to\s+be\s+dead\b",
        "death_wish",
        negatable=True,
    ),
    _en(
        r"\bwish\s+i\s+(?:was|were)\s+(?:dead|never\s+born|gone)\b|\bbetter\s+off\s+dead\b|"
        r"\bbetter\s+off\s+without\s+me\b",
        "death_wish",
    ),
    _en(r"\bno\s+(?:reason|point)\s+(?:to|in)\s+(?:live|living|going\s+on)\b", "death_wish"),
    _en(
        r"\b(?:don'?t|do\s+not|dont)\s+want\s+to\s+(?:live|be\s+alive|exist|wake\s+up)\b|"
        r"\bcan'?t\s+(?:go\s+on|keep\s+going)\s+(?:living|anymore)\b|"
        r"\btired\s+of\s+(?:living|being\s+alive)\b",
        "death_wish",
    ),
    _en(
        r"\bnobody\s+would\s+(?:care|notice|miss\s+me)\s+if\s+i\b|\bdisappear\s+forever\b",
        "death_wish",
    ),
    _en(
        r"\boverdos(?:e|ed|ing)\b|\b(?:took|take|swallowed|swallow)\s+(?:a\s+lot\s+of|all\s+(?:of\s+)?"
        r"(?:my|the)|a\s+bottle\s+of|a\s+handful\s+of)\s+(?:pills|tablets|sleeping\s+pills)",
        "overdose",
        negatable=True,
    ),
)


def screen_text(text: str) -> CrisisHit | None:
    """The first crisis pattern found in the text, or None."""
    if not text:
        return None
    normal = _normalise(text)
    for pattern in _PATTERNS:
        for match in pattern.regex.finditer(normal):
            if pattern.negatable and _negated(normal, match.start(), pattern.language):
                continue
            return CrisisHit(pattern.category, pattern.language)
    return None


def _normalise(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text[:10_000]).lower().translate(_SIMPLIFIED)
    folded = folded.replace("’", "'")
    # Spaces and filler between Chinese characters ("想 自 杀", "想…死") hide nothing here.
    folded = re.sub(r"(?<=[\u4e00-\u9fff])[\s~～…·*_-]+(?=[\u4e00-\u9fff])", "", folded)
    return re.sub(r"\s+", " ", folded)


def _negated(text: str, start: int, language: str) -> bool:
    before = text[max(0, start - 24) : start]
    if language == "zh":
        return bool(_NEGATION_ZH.search(before))
    return bool(_NEGATION_EN.search(before))
