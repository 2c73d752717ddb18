"""Charts draw Chinese in Noto Sans CJK SC from the mplfonts package: no missing-glyph boxes."""

from __future__ import annotations

import warnings

import numpy as np
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties

from bot.reports import charts

LABELS = charts.Labels(
    title="张小明：体温和心情",
    temperature="体温（°C）",
    mood="心情（1–5）",
    warning_line="37.3 °C 筛查线",
    urgent_line="38.0 °C 发热线",
    missed="未打卡",
)


def _points() -> list[charts.Point]:
    return [
        charts.Point(f"12-{day:02d} {slot}", temperature, mood, missed=temperature is None)
        for day, slot, temperature, mood in [
            (1, "晨检", 36.6, 4),
            (1, "午检", 37.5, 3),
            (2, "晨检", 38.3, 2),
            (2, "午检", None, None),
            (3, "晨检", 36.9, 5),
        ]
    ]


def test_the_configured_family_resolves_to_the_noto_cjk_file() -> None:
    family = charts.cjk_family()
    assert "CJK" in family
    path = font_manager.findfont(FontProperties(family=[family]), fallback_to_default=False)
    assert path == str(charts.cjk_font_path())
    assert path.endswith("NotoSansCJKsc-Regular.otf") and "DejaVu" not in path


def test_a_chart_with_chinese_labels_renders_without_missing_glyphs() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = charts.render_student_chart(_points(), LABELS)
    assert not [w for w in caught if "missing from font" in str(w.message)]
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000


def test_an_empty_series_still_renders() -> None:
    assert charts.render_student_chart([], LABELS).startswith(b"\x89PNG")


def _ink(text: str, family: str) -> np.ndarray:
    """The pixels of one line of text drawn in a family, as a grey array."""
    figure = Figure(figsize=(3, 0.6), dpi=100)
    canvas = FigureCanvasAgg(figure)
    figure.text(0.02, 0.3, text, fontproperties=FontProperties(family=[family], size=20))
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[:, :, 0].copy()


def test_distinct_chinese_characters_draw_distinct_glyphs_not_tofu() -> None:
    family = charts.cjk_family()
    first, second = _ink("体温", family), _ink("心情", family)
    # Missing glyphs all draw as the same box; real glyphs differ and leave ink.
    assert (first < 128).sum() > 100 and (second < 128).sum() > 100
    assert (first != second).sum() > 100
    # The default font, by contrast, has no such glyphs and warns.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _ink("体温", "DejaVu Sans")
    assert any("missing from font" in str(w.message) for w in caught)


def test_rendering_is_deterministic() -> None:
    assert charts.render_student_chart(_points(), LABELS) == charts.render_student_chart(
        _points(), LABELS
    )
