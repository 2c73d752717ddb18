"""Crisis screen benchmark: recall, false positives and speed of bot.crisis.screen_text.

Run from the repository root: `.venv/bin/python -m bench.crisis [--runs 2000]`. The screen is the
lexicon and the learned model together (docs/crisis.md); the model's own cross-validation is
`python -m bench.crisis_train`. Screens every
row of the development set (tests/data/crisis_dev.tsv) and, when it is present, of the held-out
sets (tests/data/crisis_heldout*.tsv, written apart from the code and never tuned against; skipped
with a note when absent). Both sets have the columns tier, category, style, lang and text. Then
times the screen on a 1,000-character check-in message, against a baseline measured in the same
run: one compiled regular expression searching the same message for a single phrase. Times are
wall clock and the thread's CPU time; on a shared machine the wall-clock p99 includes the moments
the process waited for a core.
"""

from __future__ import annotations

import argparse
import csv
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.safeguarding.screen import screen_text

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
# Each held-out batch was written before the change it measures, by a writer who never saw the
# code or the other sets; none is ever tuned on.
SETS = (
    ("dev", DATA / "crisis_dev.tsv"),
    ("held-out 1", DATA / "crisis_heldout.tsv"),
    ("held-out 2", DATA / "crisis_heldout2.tsv"),
    ("held-out 3", DATA / "crisis_heldout3.tsv"),
    ("held-out 4", DATA / "crisis_heldout4.tsv"),
    ("held-out 5", DATA / "crisis_heldout5.tsv"),
    ("held-out 6", DATA / "crisis_heldout6.tsv"),
    # Ordinary messages only (check-in replies, chatter): how often the screen cries wolf.
    ("held-out everyday", DATA / "crisis_everyday_heldout.tsv"),
)
CATEGORIES = (
    "ideation",
    "passive_wish",
    "plan",
    "self_harm",
    "overdose",
    "finality",
    "burden",
    "peer",
    "distress",
)
TIMED_BUDGET_MS = 5.0
# A long, ordinary check-in note with one warning sign at its very end: the screen must read all.
FILLER = (
    "今天体温36.6，没有咳嗽，早上做了广播体操，中午吃了米饭和青菜，下午上了两节网课，"
    "数学老师讲了三角函数，我有一点没听懂，晚上跟妈妈视频聊了一会儿，她让我早点睡觉。"
    "Online class was fine, the wifi cut out twice and I missed part of the English lesson. "
)


@dataclass
class Figures:
    name: str
    n: int = 0
    flagged: int = 0
    signs: int = 0
    urgent: int = 0
    urgent_as_urgent: int = 0
    none: int = 0
    false_alarms: int = 0
    per_category: Counter[str] = field(default_factory=Counter)
    caught: Counter[str] = field(default_factory=Counter)

    def row(self) -> list[str]:
        cells = [
            self.name,
            str(self.n),
            _ratio(self.flagged, self.signs),
            _ratio(self.urgent_as_urgent, self.urgent),
            _ratio(self.false_alarms, self.none),
        ]
        return cells + [
            _ratio(self.caught[category], self.per_category[category]) for category in CATEGORIES
        ]


def _ratio(part: int, whole: int) -> str:
    return f"{part / whole:.3f}" if whole else ""


def evaluate(name: str, path: Path) -> Figures:
    """Screen every row of a labelled set and count what was caught and what was flagged."""
    figures = Figures(name)
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            figures.n += 1
            hit = screen_text(row["text"])
            if row["tier"] == "none":
                figures.none += 1
                figures.false_alarms += hit is not None
                continue
            figures.signs += 1
            figures.flagged += hit is not None
            figures.per_category[row["category"]] += 1
            figures.caught[row["category"]] += hit is not None
            if row["tier"] == "urgent":
                figures.urgent += 1
                figures.urgent_as_urgent += hit is not None and hit.tier == "urgent"
    return figures


def time_ms(function: Callable[[str], object], text: str, runs: int) -> Timing:
    """Median and 99th percentile, in milliseconds, of calling function(text): wall-clock time,
    and the thread's CPU time (which a busy shared machine does not inflate)."""
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.thread_time()
        function(text)
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.thread_time() - start_cpu) * 1000)
    return Timing(_p50(wall), _p99(wall), _p50(cpu), _p99(cpu))


@dataclass
class Timing:
    median: float
    p99: float
    cpu_median: float
    cpu_p99: float

    def __str__(self) -> str:
        return (
            f"median {self.median:.3f} ms, p99 {self.p99:.3f} ms"
            f" (CPU: median {self.cpu_median:.3f} ms, p99 {self.cpu_p99:.3f} ms)"
        )


def _p50(samples: list[float]) -> float:
    return statistics.median(samples)


def _p99(samples: list[float]) -> float:
    return sorted(samples)[max(0, int(len(samples) * 0.99) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000, help="timed screens (default 2000)")
    args = parser.parse_args()

    notes = []
    results = []
    for name, path in SETS:
        if path.exists():
            results.append(evaluate(name, path))
        else:
            notes.append(f"{name}: {path.relative_to(DATA.parent.parent)} absent, skipped")

    message = (FILLER * 10)[:990] + "，其实我真的不想活了"
    phrase = re.compile("不想活")
    baseline = time_ms(phrase.search, message, args.runs)
    screen = time_ms(screen_text, message, args.runs)

    header = ["set", "n", "recall", "urgent recall", "false-positive rate", *CATEGORIES]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for figures in results:
        print("| " + " | ".join(figures.row()) + " |")
    blank = " |" * (len(header) - 1)
    print(
        f"| screen_text on {len(message)} characters, {args.runs} runs (target < "
        f"{TIMED_BUDGET_MS:.0f} ms): {screen} |{blank}"
    )
    print(f"| baseline, one compiled regex for one phrase: {baseline} |{blank}")
    for note in notes:
        print(f"\n{note}")


if __name__ == "__main__":
    main()
