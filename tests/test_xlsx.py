"""The XLSX writer the ledger and notice receipts share, read back with openpyxl."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from bot.core import xlsx


def test_text_stays_text_numbers_stay_numbers_and_fills_land_where_named() -> None:
    book = xlsx.Book({"warn": "FFEB9C"})
    sheet = book.sheet("2026-12-01", [10, 20, 8], ["学号", "姓名", "体温"])
    sheet.append(["=1+1", "+SUM(A1:A9)", 38.2], {2: "warn"})
    sheet.append(["0012", None, 36], None)
    book.sheet("汇总", [12]).append(["@cmd", True])
    book.close()
    workbook = load_workbook(io.BytesIO(book.content()))

    day = workbook["2026-12-01"]
    assert day.freeze_panes == "A2"
    assert [c.value for c in day[1]] == ["学号", "姓名", "体温"]
    assert all(c.font.bold and c.fill.fgColor.rgb.endswith("D9D9D9") for c in day[1])
    assert [(c.value, c.data_type) for c in day[2]] == [
        ("=1+1", "s"), ("+SUM(A1:A9)", "s"), (38.2, "n")
    ]  # fmt: skip
    assert day["C2"].fill.fgColor.rgb.endswith("FFEB9C")
    assert day["A2"].fill.fill_type is None
    assert [c.value for c in day[3]] == ["0012", None, 36]
    assert day.column_dimensions["B"].width > day.column_dimensions["C"].width

    summary = workbook["汇总"]
    assert summary.freeze_panes is None
    assert [(c.value, c.data_type) for c in summary[1]] == [("@cmd", "s"), ("True", "s")]
