"""Write examples/students.xlsx from examples/students.csv, as a school would type it in Excel.

English headers, student numbers as number cells and dates as date cells, so the sample also
shows that those import as text and dates. Run: .venv/bin/python examples/make_xlsx.py
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).parent
ENGLISH = {
    "学号": "student_number",
    "姓名": "name",
    "学校": "school",
    "班级": "class",
    "隔离方式": "isolation",
    "隔离开始": "isolation_start",
    "隔离结束": "isolation_end",
    "语言": "language",
    "监护人同意": "guardian_consent",
}


def typed(column: str, text: str) -> str | int | date | None:
    """The value Excel would hold after a person typed `text` into this column."""
    if not text:
        return None
    if column == "student_number":
        return int(text)
    if column.startswith("isolation_"):
        return date.fromisoformat(text)
    return text


def main() -> None:
    with (HERE / "students.csv").open(encoding="utf-8", newline="") as source:
        rows = list(csv.reader(source))
    header = [ENGLISH[title] for title in rows[0]]
    book = Workbook()
    sheet = book.active
    sheet.title = "students"
    sheet.append(header)
    for row in rows[1:]:
        sheet.append([typed(column, text) for column, text in zip(header, row, strict=True)])
    for cell in sheet["F"][1:] + sheet["G"][1:]:
        cell.number_format = "yyyy-mm-dd"
    book.save(HERE / "students.xlsx")


if __name__ == "__main__":
    main()
