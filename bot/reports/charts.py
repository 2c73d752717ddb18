"""PNG charts of a student's check-ins: temperature with the 37.3 and 38.0 lines, and mood.

Text is drawn in Noto Sans CJK SC, which ships inside the mplfonts package that the setup
installs, so Chinese names and labels never fall back to DejaVu's missing-glyph boxes. The font
is registered with matplotlib from its file; mplfonts' own installer (which rewrites matplotlib's
rc files) is not used. Figures are drawn on an Agg canvas without pyplot: no backend switch
and no global figure state.
"""

from __future__ import annotations

import io
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties

FONT_FILE = "NotoSansCJKsc-Regular.otf"

_lock = threading.Lock()
_family: str | None = None


def cjk_font_path() -> Path:
    """The Noto Sans CJK SC file inside the installed mplfonts package."""
    return Path(str(resources.files("mplfonts") / "fonts" / FONT_FILE))


def cjk_family() -> str:
    """Register the CJK font with matplotlib once and return its family name."""
    global _family
    with _lock:
        if _family is None:
            path = cjk_font_path()
            font_manager.fontManager.addfont(str(path))
            _family = font_manager.FontProperties(fname=str(path)).get_name()
        return _family


def font() -> FontProperties:
    return FontProperties(family=[cjk_family()])


@dataclass(frozen=True)
class Point:
    """One check-in on the x axis; None where nothing was measured or answered."""

    label: str
    temperature_c: float | None
    mood: int | None
    missed: bool = False


@dataclass(frozen=True)
class Labels:
    title: str
    temperature: str
    mood: str
    warning_line: str
    urgent_line: str
    missed: str


def render_student_chart(
    points: Sequence[Point],
    labels: Labels,
    *,
    warning_c: float = 37.3,
    urgent_c: float = 38.0,
) -> bytes:
    """A two-panel PNG: temperature per check-in with the two fever lines, and mood 1-5."""
    fp = font()
    figure = Figure(figsize=(8, 5.2), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    xs = list(range(len(points)))
    temps = [math.nan if p.temperature_c is None else p.temperature_c for p in points]
    moods = [math.nan if p.mood is None else p.mood for p in points]

    top.plot(xs, temps, marker="o", color="#1f77b4", linewidth=1.6)
    for x, t in zip(xs, temps, strict=True):
        if not math.isnan(t) and t >= warning_c:
            top.plot([x], [t], marker="o", color="#d62728" if t >= urgent_c else "#ff7f0e")
    top.axhline(warning_c, color="#ff7f0e", linestyle="--", linewidth=1, label=labels.warning_line)
    top.axhline(urgent_c, color="#d62728", linestyle="--", linewidth=1, label=labels.urgent_line)
    measured = [t for t in temps if not math.isnan(t)]
    low = min([35.8, *measured]) - 0.2
    high = max([urgent_c + 0.4, *measured]) + 0.2
    top.set_ylim(low, high)
    missed = [x for x, p in zip(xs, points, strict=True) if p.missed]
    if missed:
        top.plot(missed, [low + 0.1] * len(missed), "x", color="#7f7f7f", label=labels.missed)
    top.set_ylabel(labels.temperature, fontproperties=fp)
    top.set_title(labels.title, fontproperties=fp)
    top.legend(prop=fp, loc="upper left")
    top.grid(alpha=0.3)

    bottom.plot(xs, moods, marker="s", color="#2ca02c", linewidth=1.6)
    bottom.set_ylim(0.5, 5.5)
    bottom.set_yticks([1, 2, 3, 4, 5])
    bottom.set_ylabel(labels.mood, fontproperties=fp)
    bottom.grid(alpha=0.3)
    step = max(1, math.ceil(len(points) / 14))
    ticks = xs[::step]
    bottom.set_xticks(ticks, [points[i].label for i in ticks], rotation=45, ha="right")
    for tick in bottom.get_xticklabels():
        tick.set_fontproperties(fp)
    if not points:
        bottom.set_xlim(-0.5, 0.5)

    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
