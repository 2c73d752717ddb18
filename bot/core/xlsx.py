"""XLSX workbooks written in memory with XlsxWriter, row by row. Text always stays text (a name
or a note starting with "=" never becomes a formula), numbers stay numbers, a cell given a fill
name is shaded, and a sheet's header row is bold, grey and frozen."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import xlsxwriter

HEADER_FILL = "D9D9D9"


class Book:
    """One workbook; `fills` maps the names rows use to RRGGBB colours.

    Without a path it is built in memory (fastest; every cell is held until close) and
    `content()` returns it. With a path each row goes to a temporary file (one a sheet, beside
    the output, readable by this user only, removed on close) as soon as the next row starts, so
    memory stays flat whatever the size; rows must then come in order within each sheet.
    """

    def __init__(
        self, fills: Mapping[str, str], header_fill: str = HEADER_FILL, path: Path | None = None
    ) -> None:
        self._out = io.BytesIO()
        # Health data of minors goes nowhere the output itself does not: the bot's workbook stays
        # in memory, a file's temporary rows sit in the file's own folder.
        options: dict[str, object] = (
            {"in_memory": True}
            if path is None
            else {"constant_memory": True, "tmpdir": str(path.parent)}
        )
        self._book = xlsxwriter.Workbook(self._out if path is None else str(path), options)
        self._fills = {
            name: self._book.add_format({"pattern": 1, "bg_color": f"#{colour}"})
            for name, colour in fills.items()
        }
        self._header = self._book.add_format(
            {"bold": True, "pattern": 1, "bg_color": f"#{header_fill}", "valign": "vcenter",
             "text_wrap": True}
        )  # fmt: skip
        self._group = self._book.add_format(
            {"bold": True, "pattern": 1, "bg_color": f"#{header_fill}", "align": "center",
             "valign": "vcenter", "border": 1}
        )  # fmt: skip
        self._title = self._book.add_format({"bold": True, "font_size": 14, "valign": "vcenter"})

    def sheet(
        self, name: str, widths: Sequence[float], header: Sequence[str] | None = None
    ) -> Sheet:
        """A new sheet with these column widths and, if given, a frozen header row."""
        formats = {"header": self._header, "group": self._group, "title": self._title}
        sheet = Sheet(self._book.add_worksheet(name), self._fills, formats)
        for column, width in enumerate(widths):
            sheet.worksheet.set_column(column, column, width)
        if header is not None:
            sheet.worksheet.freeze_panes(1, 0)
            for column, title in enumerate(header):
                sheet.worksheet.write_string(0, column, title, self._header)
            sheet.next_row = 1
        return sheet

    def close(self) -> None:
        self._book.close()

    def content(self) -> bytes:
        """The closed workbook's bytes, when built in memory."""
        return self._out.getvalue()


class Sheet:
    def __init__(
        self, worksheet: Any, fills: Mapping[str, Any], formats: Mapping[str, Any]
    ) -> None:
        self.worksheet = worksheet
        self.next_row = 0
        self._fills = fills
        self._formats = formats

    def heading(
        self,
        title: str,
        groups: Sequence[tuple[int, int, str]],
        header: Sequence[str],
        freeze_columns: int = 0,
    ) -> None:
        """A title row across the sheet, a row naming column groups (first, last, label) and
        the column headers, all frozen with the first `freeze_columns` columns; call first."""
        worksheet, last = self.worksheet, max(len(header) - 1, 1)
        worksheet.set_row(0, 24)
        worksheet.merge_range(0, 0, 0, last, title, self._formats["title"])
        for first, end, label in groups:
            if first == end:
                worksheet.write_string(1, first, label, self._formats["group"])
            else:
                worksheet.merge_range(1, first, 1, end, label, self._formats["group"])
        for column, text in enumerate(header):
            worksheet.write_string(2, column, text, self._formats["header"])
        worksheet.freeze_panes(3, freeze_columns)
        self.next_row = 3

    def append(self, values: Sequence[object], fills: Mapping[int, str] | None = None) -> None:
        """One row; `fills` names the fill of some cells by column index. None leaves a cell
        empty."""
        row, worksheet = self.next_row, self.worksheet
        self.next_row += 1
        for column, value in enumerate(values):
            if value is None:
                continue
            style = self._fills[fills[column]] if fills and column in fills else None
            if isinstance(value, str):
                worksheet.write_string(row, column, value, style)
            elif isinstance(value, int | float) and not isinstance(value, bool):
                worksheet.write_number(row, column, value, style)
            else:
                worksheet.write_string(row, column, str(value), style)
