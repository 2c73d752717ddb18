"""Read a students, staff or guardians roster (CSV or XLSX), validate every row; no database.

Nothing here raises on a bad file: every problem becomes a `RowError` with the line number a
person sees in the file (header = line 1; line 0 = the file as a whole), so the caller can
reject the whole file and list everything to fix at once.

It stays one module over the size the code base aims for (issue 16) because it is a single-purpose
parser: the header aliases, the cell reading and the row checks are the one contract between a
school's spreadsheet and ParsedRoster, and they change together when a new column or spelling
is accepted.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Literal

from openpyxl import load_workbook

from bot.guardians.rows import GuardianRow, normalize_phone

Kind = Literal["students", "staff", "guardians"]
# A cell is text, or a date when an XLSX cell holds one.
Cell = str | date


@dataclass(frozen=True)
class StudentRow:
    line: int
    number: str
    name: str
    school: str
    class_name: str
    isolation_kind: str | None
    isolation_start: date | None
    isolation_end: date | None
    language: str | None
    guardian_consent: bool
    # Who answers the check-ins (student, guardian, either); None keeps what was set before.
    answerer: str | None = None


@dataclass(frozen=True)
class StaffRow:
    line: int
    number: str
    name: str
    role: str
    schools: tuple[str, ...]
    classes: tuple[str, ...]
    language: str | None


@dataclass(frozen=True)
class RowError:
    line: int
    column: str | None
    reason: str


@dataclass(frozen=True)
class ParsedRoster:
    """Valid rows and every error; import only when `errors` is empty.

    When the file could not be recognised at all, `kind` is "students" and both row tuples
    are empty.
    """

    kind: Kind
    students: tuple[StudentRow, ...]
    staff: tuple[StaffRow, ...]
    errors: tuple[RowError, ...]
    guardians: tuple[GuardianRow, ...] = ()

    @property
    def size(self) -> int:
        return len(self.students) + len(self.staff) + len(self.guardians)


def _key(text: str) -> str:
    """Normalise a header or a keyword so that case, spaces and hyphens do not matter."""
    return re.sub(r"[\s\-]+", "_", text.strip().casefold())


def _aliases(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {
        _key(alias): canonical for canonical, spellings in table.items() for alias in spellings
    }


@dataclass(frozen=True)
class _Choices:
    """Accepted spellings of a closed set of values, and how to list them in an error."""

    table: dict[str, str]
    listed: str

    @classmethod
    def of(cls, spellings: dict[str, tuple[str, ...]]) -> _Choices:
        return cls(_aliases(spellings), ", ".join(a for s in spellings.values() for a in s))


# Field -> accepted header spellings. The number column tells a students file from a staff one.
_STUDENT_COLUMNS: dict[str, tuple[str, ...]] = {
    "number": ("学号", "student_number"),
    "name": ("姓名", "name"),
    "school": ("学校", "school"),
    "class_name": ("班级", "class"),
    "isolation_kind": ("隔离方式", "isolation"),
    "isolation_start": ("隔离开始", "isolation_start"),
    "isolation_end": ("隔离结束", "isolation_end"),
    "language": ("语言", "language"),
    "guardian_consent": ("监护人同意", "guardian_consent"),
    "answerer": ("打卡人", "answerer"),
}
_STUDENT_REQUIRED = ("number", "name", "school", "class_name")
_STAFF_COLUMNS: dict[str, tuple[str, ...]] = {
    "number": ("工号", "staff_number"),
    "name": ("姓名", "name"),
    "school": ("学校", "school"),
    "role": ("角色", "role"),
    "classes": ("班级", "classes", "class"),
    "language": ("语言", "language"),
}
_STAFF_REQUIRED = ("number", "name", "school", "role")
# A guardians file names children by student number too; its guardian name column tells it apart.
_GUARDIAN_COLUMNS: dict[str, tuple[str, ...]] = {
    "student_number": ("学号", "student_number"),
    "school": ("学校", "school"),
    "name": ("监护人姓名", "监护人", "家长姓名", "guardian_name", "guardian"),
    "relation": ("关系", "与学生关系", "relation", "relationship"),
    "phone": ("手机", "手机号", "手机号码", "联系电话", "电话", "phone", "mobile"),
    "language": ("语言", "language"),
    "primary": ("主要联系人", "primary", "primary_contact"),
}
_GUARDIAN_REQUIRED = ("student_number", "name", "relation", "phone")
_GUARDIAN_MARKERS = frozenset(map(_key, _GUARDIAN_COLUMNS["name"]))
_STUDENT_MARKERS = frozenset(map(_key, _STUDENT_COLUMNS["number"]))
_STAFF_MARKERS = frozenset(map(_key, _STAFF_COLUMNS["number"]))

_ISOLATION_KINDS = _Choices.of(
    {
        "home": ("居家", "居家隔离", "home"),
        "centralized": ("集中", "集中隔离", "centralized", "centralised"),
        "on_campus": ("在校", "在校隔离", "on_campus"),
    }
)
_LANGUAGES = _Choices.of(
    {
        "zh-CN": ("zh-CN", "zh", "中文", "简体中文", "chinese"),
        "en": ("en", "英文", "英语", "english"),
    }
)
_ANSWERERS = _Choices.of(
    {
        "student": ("学生", "学生本人", "student"),
        "guardian": ("家长", "家长代答", "guardian", "parent"),
        "either": ("都可以", "均可", "either"),
    }
)
_ROLES = _Choices.of(
    {
        "teacher": ("班主任", "教师", "老师", "teacher"),
        "doctor": ("校医", "医生", "doctor"),
        "counselor": ("心理老师", "心理辅导教师", "心理辅导老师", "心理咨询师", "counselor"),
        "admin": ("管理员", "admin"),
    }
)
_CONSENT = {
    **dict.fromkeys(map(_key, ("是", "同意", "yes", "y", "1", "true")), True),
    **dict.fromkeys(map(_key, ("否", "不同意", "no", "n", "0", "false")), False),
}
# Lists of schools or classes in one cell; full-width separators are what Chinese IMEs type.
_LIST_SEPARATORS = re.compile(r"[;；、,，]")
_DATE_PATTERNS = (
    re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日"),
)


class _Unreadable(Exception):
    """A problem with the file as a whole; reading stops there."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


def parse_roster(path: Path) -> ParsedRoster:
    """Read a roster file and validate all of it; never raises for bad content."""
    try:
        records = _read_records(Path(path))
    except _Unreadable as problem:
        return _failed(RowError(problem.line, None, problem.reason))
    records = [(line, cells) for line, cells in records if any(_text(c) for c in cells)]
    if not records:
        return _failed(RowError(0, None, "the file is empty: it needs a header row and rows"))
    header_line, header = records[0]
    kind, fields, errors = _read_header(header_line, header)
    if kind is None or errors:
        return ParsedRoster(kind or "students", (), (), tuple(errors))
    titles = {field: _text(header[index]) for index, field in fields.items()}
    students: list[StudentRow] = []
    staff: list[StaffRow] = []
    guardians: list[GuardianRow] = []
    seen: dict[tuple[str, ...], int] = {}
    for line, cells in records[1:]:
        values, row_errors = _row_values(line, cells, fields, len(header))
        errors += row_errors
        check = _Check(line, titles, errors)
        if kind == "guardians":
            guardian = _guardian(values, check, seen)
            if guardian is not None and not row_errors:
                guardians.append(guardian)
        elif kind == "students":
            student = _student(values, check, seen)
            if student is not None and not row_errors:
                students.append(student)
        else:
            member = _staff(values, check, seen)
            if member is not None and not row_errors:
                staff.append(member)
    if kind == "guardians":
        errors += _guardian_file_errors(guardians, titles)
    return ParsedRoster(kind, tuple(students), tuple(staff), tuple(errors), tuple(guardians))


def _failed(error: RowError) -> ParsedRoster:
    return ParsedRoster("students", (), (), (error,))


# --- reading files -------------------------------------------------------------------------


def _read_records(path: Path) -> list[tuple[int, list[Cell]]]:
    """Every row of the file with its line number, blank rows included."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _Unreadable(0, f"cannot read the file: {exc.strerror or exc}") from exc
    suffix = path.suffix.lower()
    if data.startswith(b"PK\x03\x04") or suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(data)
    if data.startswith(b"\xd0\xcf\x11\xe0") or suffix == ".xls":
        raise _Unreadable(0, "old Excel .xls files are not supported: save it as .xlsx or CSV")
    if suffix in (".csv", ".tsv", ".txt", ""):
        return _read_csv(data)
    raise _Unreadable(0, f"unknown file format {suffix!r}: use a .csv or .xlsx file")


def _read_csv(data: bytes) -> list[tuple[int, list[Cell]]]:
    text = _decode(data)
    header = text.lstrip("\r\n").splitlines()[0] if text.strip() else ""
    # Excel saves commas, or semicolons where the comma is the decimal mark; tabs come from
    # copying cells. The header has no quoted separators, so counting there is a safe sniff.
    delimiter = max(",\t;", key=header.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[tuple[int, list[Cell]]] = []
    start = 1
    try:
        for cells in reader:
            records.append((start, list(cells)))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise _Unreadable(start, f"this line cannot be read as CSV: {exc}") from exc
    return records


def _decode(data: bytes) -> str:
    # UTF-8 first: GB18030 would also "decode" many UTF-8 files, into nonsense.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise _Unreadable(0, "the file is neither UTF-8 nor GBK text: save it as CSV UTF-8 or .xlsx")


def _read_xlsx(data: bytes) -> list[tuple[int, list[Cell]]]:
    # openpyxl raises a wide range of exception types on damaged or foreign files and warns
    # about styles it skips; neither matters beyond "this is not a workbook we can read".
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:
            raise _Unreadable(0, "cannot open this file as an Excel .xlsx workbook") from exc
        try:
            if not book.worksheets:
                return []
            rows = book.worksheets[0].iter_rows(values_only=True)
            return [(n, [_xlsx_cell(v) for v in row]) for n, row in enumerate(rows, start=1)]
        except Exception as exc:
            raise _Unreadable(0, "cannot read the first sheet of this workbook") from exc
        finally:
            book.close()


def _xlsx_cell(value: object) -> Cell:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    # A student number typed as a number arrives as 20230101 or 20230101.0.
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _text(cell: Cell) -> str:
    return cell.isoformat() if isinstance(cell, date) else cell.strip()


# --- header --------------------------------------------------------------------------------


def _read_header(
    line: int, header: list[Cell]
) -> tuple[Kind | None, dict[int, str], list[RowError]]:
    """The file's kind, a map from column index to field, and header errors."""
    keys = [_key(_text(cell)) for cell in header]
    is_staff = not _STAFF_MARKERS.isdisjoint(keys)
    if not is_staff and not _GUARDIAN_MARKERS.isdisjoint(keys):
        return ("guardians", *_header_fields(line, header, keys, "guardians"))
    is_students = not _STUDENT_MARKERS.isdisjoint(keys)
    if is_students == is_staff:
        reason = (
            "the header has both a student number and a staff number column: use one file each"
            if is_students
            else "cannot tell the kind of roster: the header needs a 学号/student_number"
            " (students), 工号/staff_number (staff) or 监护人姓名/guardian_name (guardians)"
            " column"
        )
        return None, {}, [RowError(line, None, reason)]
    kind: Kind = "students" if is_students else "staff"
    return (kind, *_header_fields(line, header, keys, kind))


def _header_fields(
    line: int, header: list[Cell], keys: list[str], kind: Kind
) -> tuple[dict[int, str], list[RowError]]:
    columns, required = {
        "students": (_STUDENT_COLUMNS, _STUDENT_REQUIRED),
        "staff": (_STAFF_COLUMNS, _STAFF_REQUIRED),
        "guardians": (_GUARDIAN_COLUMNS, _GUARDIAN_REQUIRED),
    }[kind]
    known = _aliases(columns)
    fields: dict[int, str] = {}
    errors: list[RowError] = []
    for index, key in enumerate(keys):
        title = _text(header[index])
        if not key:
            continue
        field = known.get(key)
        if field is None:
            expected = ", ".join("/".join(spellings) for spellings in columns.values())
            errors.append(
                RowError(line, title, f"unknown column in a {kind} file; expected: {expected}")
            )
        elif field in fields.values():
            errors.append(RowError(line, title, "this column appears twice"))
        else:
            fields[index] = field
    for field in required:
        if field not in fields.values():
            errors.append(RowError(line, None, f"missing column {'/'.join(columns[field])}"))
    return fields, errors


def _row_values(
    line: int, cells: list[Cell], fields: dict[int, str], width: int
) -> tuple[dict[str, Cell], list[RowError]]:
    values: dict[str, Cell] = {}
    errors: list[RowError] = []
    for index, cell in enumerate(cells):
        if index in fields:
            values[fields[index]] = cell
        elif _text(cell):
            where = "beyond the last header column" if index >= width else "under an empty header"
            errors.append(
                RowError(line, None, f"value {_text(cell)!r} in column {index + 1} is {where}")
            )
    return values, errors


# --- rows ----------------------------------------------------------------------------------


@dataclass
class _Check:
    """Collects a row's errors, naming columns as the file's header writes them."""

    line: int
    titles: dict[str, str]
    errors: list[RowError]

    def fail(self, field: str, reason: str) -> None:
        self.errors.append(RowError(self.line, self.titles.get(field, field), reason))

    def required(self, values: dict[str, Cell], field: str, what: str) -> str:
        text = _text(values.get(field, ""))
        if not text:
            self.fail(field, f"{what} is missing")
        return text

    def choice(
        self, values: dict[str, Cell], field: str, choices: _Choices, what: str
    ) -> str | None:
        text = _text(values.get(field, ""))
        if not text:
            return None
        found = choices.table.get(_key(text))
        if found is None:
            self.fail(field, f"unknown {what} {text!r}; use one of: {choices.listed}")
        return found

    def day(self, values: dict[str, Cell], field: str) -> date | None:
        cell = values.get(field, "")
        if isinstance(cell, date):
            return cell
        text = cell.strip()
        if not text:
            return None
        parsed = _parse_date(text)
        if parsed is None:
            self.fail(field, f"{text!r} is not a date; write it as YYYY-MM-DD")
        return parsed


def _parse_date(text: str) -> date | None:
    for pattern in _DATE_PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            try:
                return date(*(int(part) for part in match.groups()))
            except ValueError:
                return None
    return None


def _split(text: str) -> tuple[str, ...]:
    """Items of a list cell, trimmed, without blanks or repeats, in file order."""
    items = (item.strip() for item in _LIST_SEPARATORS.split(text))
    return tuple(dict.fromkeys(item for item in items if item))


def _student(
    values: dict[str, Cell], check: _Check, seen: dict[tuple[str, ...], int]
) -> StudentRow | None:
    before = len(check.errors)
    number = check.required(values, "number", "student number")
    name = check.required(values, "name", "name")
    school = check.required(values, "school", "school")
    class_name = check.required(values, "class_name", "class")
    kind = check.choice(values, "isolation_kind", _ISOLATION_KINDS, "isolation kind")
    kind_given = bool(_text(values.get("isolation_kind", "")))
    start = check.day(values, "isolation_start")
    end = check.day(values, "isolation_end")
    start_given = bool(_text(values.get("isolation_start", "")))
    end_given = bool(_text(values.get("isolation_end", "")))
    if kind_given and not start_given:
        check.fail("isolation_start", "isolation start date is required when isolated")
    if not kind_given and (start_given or end_given):
        check.fail("isolation_kind", "isolation dates are given but no isolation kind")
    if start is not None and end is not None and end < start:
        check.fail("isolation_end", f"isolation end {end} is before its start {start}")
    language = check.choice(values, "language", _LANGUAGES, "language")
    answerer = check.choice(values, "answerer", _ANSWERERS, "answerer")
    consent_text = _text(values.get("guardian_consent", ""))
    consent = _CONSENT.get(_key(consent_text)) if consent_text else False
    if consent is None:
        check.fail("guardian_consent", f"{consent_text!r} is not yes or no (是/否)")
    if number and school:
        first = seen.setdefault((school, number), check.line)
        if first != check.line:
            check.fail("number", f"student number {number} of {school} is already on line {first}")
    if len(check.errors) > before:
        return None
    return StudentRow(
        check.line,
        number,
        name,
        school,
        class_name,
        kind,
        start,
        end,
        language,
        consent is True,
        answerer,
    )


def _staff(
    values: dict[str, Cell], check: _Check, seen: dict[tuple[str, ...], int]
) -> StaffRow | None:
    before = len(check.errors)
    number = check.required(values, "number", "staff number")
    name = check.required(values, "name", "name")
    role_given = bool(check.required(values, "role", "role"))
    role = check.choice(values, "role", _ROLES, "role") if role_given else None
    schools = _split(_text(values.get("school", "")))
    classes = _split(_text(values.get("classes", "")))
    language = check.choice(values, "language", _LANGUAGES, "language")
    if role == "counselor" and not schools:
        check.fail("school", "a counselor needs at least one school")
    if role is not None and role != "counselor":
        # Teachers and doctors work at one school; an admin without one is a bureau admin.
        if len(schools) > 1:
            check.fail("school", f"a {role} belongs to one school; only counselors list several")
        elif role != "admin" and not schools:
            check.fail("school", f"school is missing; a {role} belongs to one school")
    if role is not None:
        if role == "teacher" and not classes:
            check.fail("classes", "a teacher needs at least one class")
        if role != "teacher" and classes:
            check.fail("classes", f"only teachers have classes, not a {role}")
    if number:
        first = seen.setdefault((number,), check.line)
        if first != check.line:
            check.fail("number", f"staff number {number} is already on line {first}")
    if len(check.errors) > before or role is None:
        return None
    return StaffRow(check.line, number, name, role, schools, classes, language)


_RELATION_MAX = 20


def _guardian(
    values: dict[str, Cell], check: _Check, seen: dict[tuple[str, ...], int]
) -> GuardianRow | None:
    before = len(check.errors)
    number = check.required(values, "student_number", "student number")
    school = _text(values.get("school", "")) or None
    name = check.required(values, "name", "guardian name")
    relation = check.required(values, "relation", "relation (父亲/母亲/…)")
    if len(relation) > _RELATION_MAX:
        check.fail("relation", f"relation is longer than {_RELATION_MAX} characters")
    phone_text = check.required(values, "phone", "mobile number")
    phone = normalize_phone(phone_text) if phone_text else None
    if phone_text and phone is None:
        check.fail("phone", f"{phone_text!r} is not a phone number")
    language = check.choice(values, "language", _LANGUAGES, "language")
    primary_text = _text(values.get("primary", ""))
    primary = _CONSENT.get(_key(primary_text)) if primary_text else None
    if primary_text and primary is None:
        check.fail("primary", f"{primary_text!r} is not yes or no (是/否)")
    if number and phone:
        first = seen.setdefault((school or "", number, phone), check.line)
        if first != check.line:
            check.fail("phone", f"this guardian of {number} is already on line {first}")
    if len(check.errors) > before or phone is None:
        return None
    return GuardianRow(check.line, number, school, name, relation, phone, language, primary)


def _guardian_file_errors(rows: list[GuardianRow], titles: dict[str, str]) -> list[RowError]:
    """What only the whole file shows: one phone with two names, two primaries for a child."""
    errors: list[RowError] = []
    named: dict[str, GuardianRow] = {}
    primaries: dict[tuple[str, str], int] = {}
    for row in rows:
        first = named.setdefault(row.phone, row)
        if first.name != row.name:
            errors.append(
                RowError(
                    row.line,
                    titles.get("name", "name"),
                    f"mobile {row.phone} belongs to {first.name} on line {first.line}",
                )
            )
        if row.primary:
            child = (row.school or "", row.student_number)
            line = primaries.setdefault(child, row.line)
            if line != row.line:
                errors.append(
                    RowError(
                        row.line,
                        titles.get("primary", "primary"),
                        f"{row.student_number} already has a primary contact on line {line};"
                        " a child has one",
                    )
                )
    return errors
