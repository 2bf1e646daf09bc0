"""Reading an import file (CSV or XLSX) and each cell's value.

Everything that needs no database is checked here, row by row, before the rows are
staged: required cells, dates, numbers, enumerations, resident ID numbers (GB 11643
check digit and birth date), and the rules between the cells of one row.
"""

from __future__ import annotations

import csv
import io
import operator
import re
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from db.pinyin import name_pinyin, search_vector
from resolvers.ids import decode_int_id
from service.import_columns import (
    KINDS,
    BadFile,
    Clock,
    Col,
    Progress,
    RowError,
    enum_value,
    no_progress,
)

__all__ = ["KINDS", "BadFile", "Progress", "RowError", "no_progress", "parse", "sniff_format"]


ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
ID_SHAPE = re.compile(r"^\d{17}[\dX]$")
PHONE = re.compile(r"^\+?[0-9][0-9 -]{6,19}$")
DATE_SHAPE = re.compile(r"^(\d{4})[-/.]?(\d{1,2})[-/.]?(\d{1,2})$")
TRUE = {"true", "1", "yes", "y", "是", "t"}
FALSE = {"false", "0", "no", "n", "否", "f"}


# ---------------------------------------------------------------- reading the file


def _cell(value: Any) -> str | None:
    """A spreadsheet cell as text; Excel's dates and whole numbers as a person wrote them."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _decode(data: bytes) -> str:
    # Excel saves "CSV UTF-8" with a BOM, and plain "CSV" in the local code page (GB18030).
    if b"\x00" in data:  # no text file holds NUL bytes, and PostgreSQL text cannot
        raise BadFile("the file holds NUL bytes: it is neither CSV text nor XLSX")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise BadFile(
            f"the file is neither UTF-8 nor GB18030 text (byte {exc.start}) nor XLSX"
        ) from None


# openpyxl reads an XLSX's whole shared-strings table before its first row, so neither the
# row limit nor the time limit reaches it: a small archive of millions of tiny strings costs
# minutes of CPU. A roster's table unpacks to a few MB and compresses some 5-20 times.
MAX_SHARED_STRINGS_BYTES = 32 * 1024 * 1024
MAX_SHARED_STRINGS_RATIO = 100


def _check_shared_strings(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            info = next(
                (i for i in archive.infolist() if i.filename.lower().endswith("sharedstrings.xml")),
                None,
            )
    except (zipfile.BadZipFile, OSError, ValueError):
        raise BadFile("not a readable XLSX file (damaged archive)") from None
    if info is None:
        return
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > MAX_SHARED_STRINGS_BYTES or ratio > MAX_SHARED_STRINGS_RATIO:
        raise BadFile(
            "the XLSX file's table of texts is too large to read safely; save the sheet as "
            "CSV (UTF-8) and import that"
        )


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[str | None]]]:
    from openpyxl import load_workbook  # imported here: only XLSX needs it

    _check_shared_strings(data)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        for line, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [_cell(v) for v in row]
            if any(c is not None and "\x00" in c for c in cells):
                raise BadFile(f"line {line} of the sheet holds a NUL character")
            yield line, cells
        book.close()
    except BadFile:
        raise
    except Exception as exc:  # a damaged archive fails anywhere while it is read
        raise BadFile(f"not a readable XLSX file ({exc.__class__.__name__})") from None


def read_rows(data: bytes, fmt: str) -> Iterator[tuple[int, list[str | None]]]:
    """(line, cells) of every row, the header first (line 1)."""
    if fmt == "xlsx":
        yield from _xlsx_rows(data)
        return
    reader = csv.reader(io.StringIO(_decode(data), newline=""))
    line = 1
    try:
        for cells in reader:
            yield line, cells
            line = reader.line_num + 1  # a quoted cell may span lines
    except csv.Error as exc:  # e.g. a cell longer than the CSV reader's field limit
        raise BadFile(f"line {line} is not CSV ({exc})") from None


def sniff_format(data: bytes, filename: str | None = None, content_type: str | None = None) -> str:
    if data[:4] == b"PK\x03\x04":  # a ZIP container: XLSX
        return "xlsx"
    if (filename or "").lower().endswith(".xlsx") or "spreadsheetml" in (content_type or ""):
        raise BadFile("the file is named XLSX but is not one")
    return "csv"


# ---------------------------------------------------------------- values


def parse_date(raw: str) -> date | None:
    found = DATE_SHAPE.match(raw)
    if not found:
        return None
    try:
        return date(*(int(g) for g in found.groups()))
    except ValueError:
        return None


def id_number_problem(value: str) -> str | None:
    """Why an 18-character resident ID number (GB 11643) is wrong, or None."""
    if not ID_SHAPE.match(value):
        return "an ID number has 18 characters: 17 digits, then a digit or X"
    total = sum(map(operator.mul, map(int, value[:17]), ID_WEIGHTS))
    if ID_CHECK[total % 11] != value[17]:
        return "the ID number's check digit is wrong (a typing mistake?)"
    if id_birth_date(value) is None:
        return "the ID number holds no valid birth date"
    return None


def id_birth_date(value: str) -> date | None:
    try:
        return date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return None


def convert(column: Col, raw: str | None, line: int, errors: list[RowError]) -> Any:
    """One cell's value in its column's type; None (and an error) when it is not one."""
    value = raw.strip() if raw is not None else ""
    if not value:
        if column.required:
            errors.append(RowError(line, column.name, "REQUIRED", f"{column.name} is required."))
        return None
    kind = column.type
    if kind == "text":
        return value
    if kind == "date":
        day = parse_date(value)
        if day is None:
            errors.append(
                RowError(line, column.name, "BAD_DATE", f"{value!r} is not a date (YYYY-MM-DD).")
            )
        return day
    if kind == "int":
        if value.isdigit() and len(value) < 9:
            return int(value)
        errors.append(
            RowError(line, column.name, "INVALID_VALUE", f"{value!r} is not a whole number.")
        )
        return None
    if kind == "bool":
        if value.lower() in TRUE:
            return True
        if value.lower() in FALSE:
            return False
        errors.append(
            RowError(line, column.name, "INVALID_VALUE", f"{value!r} is not true or false.")
        )
        return None
    if kind.startswith("id:"):
        key = decode_int_id(value, kind[3:])
        if key is None and value.isdigit():
            key = int(value)  # a database id, as the CSV export also accepts
        if key is None:
            errors.append(
                RowError(line, column.name, "INVALID_VALUE", f"{value!r} is not a {kind[3:]} ID.")
            )
        return key
    found = enum_value(kind, value)
    if found is None:
        errors.append(
            RowError(line, column.name, "INVALID_VALUE", f"{value!r} is not one of {kind}.")
        )
    return found


_PINYIN: dict[str, tuple[str, str]] = {}


def pinyin_keys(name: str) -> tuple[str, str]:
    """Pinyin and search keys of a name, computed once per distinct name (names recur)."""
    found = _PINYIN.get(name)
    if found is None:
        if len(_PINYIN) > 500_000:  # a bound on memory for a long-running service
            _PINYIN.clear()
        found = _PINYIN[name] = (name_pinyin(name), search_vector(name))
    return found


def check_deputy(v: dict[str, Any], line: int, errors: list[RowError]) -> None:
    """The rules of one deputies row that need no database; fills the derived values."""

    def bad(column: str, code: str, message: str) -> None:
        errors.append(RowError(line, column, code, message))

    name = v["name"]
    if name is not None and len(name) > 40:
        bad("name", "INVALID_VALUE", "A name has 1 to 40 characters.")
    if v["id_number"] is not None:
        v["id_number"] = v["id_number"].upper()
        problem = id_number_problem(v["id_number"])
        if problem:
            bad("id_number", "INVALID_VALUE", problem[0].upper() + problem[1:] + ".")
        else:
            born = id_birth_date(v["id_number"])
            if v["birth_date"] is None:
                v["birth_date"] = born
            elif v["birth_date"] != born:
                bad("birth_date", "INVALID_VALUE", f"The ID number says born on {born}.")
    elif v["birth_date"] is None and "birth_date" not in {e.column for e in errors}:
        bad(
            "id_number",
            "REQUIRED",
            "A person is identified by the ID number, or by name, birth date and locality: "
            "give the ID number or the birth date.",
        )
    if v["birth_date"] is not None:
        if v["birth_year"] is not None and v["birth_year"] != v["birth_date"].year:
            bad("birth_year", "INVALID_VALUE", "The birth year differs from the birth date.")
        v["birth_year"] = v["birth_date"].year
    if v["birth_year"] is not None and not 1900 <= v["birth_year"] <= date.today().year - 18:
        bad("birth_year", "INVALID_VALUE", "A deputy is born after 1900 and is 18 or older.")
    if v["phone"] is not None and not PHONE.match(v["phone"]):
        bad("phone", "INVALID_VALUE", "A phone number has 7 to 20 digits.")
    if v["status"] is None:  # blank: what the dates say
        v["status"] = "TERMINATED" if v["end_date"] else "ACTIVE"
    status = v["status"]
    if (status == "TERMINATED") != (v["end_date"] is not None):
        bad("end_date", "INVALID_VALUE", "A TERMINATED mandate, and only one, has an end date.")
    if status != "TERMINATED" and v["end_reason"] is not None:
        bad("end_reason", "INVALID_VALUE", "Only a TERMINATED mandate has an end reason.")
    if status == "SUSPENDED" and v["suspended_from"] is None:
        bad("suspended_from", "REQUIRED", "A SUSPENDED mandate needs suspended_from.")
    if v["suspended_until"] is not None and (
        v["suspended_from"] is None or v["suspended_until"] < v["suspended_from"]
    ):
        bad("suspended_until", "BAD_DATE", "suspended_until comes after suspended_from.")
    if name is not None:
        v["name_pinyin"], v["search_vector"] = pinyin_keys(name)
    if v["id_number"] is not None:
        v["pkey"] = "id:" + v["id_number"]
    elif v["birth_date"] is not None and name is not None and v["locality_code"] is not None:
        v["pkey"] = f"nb:{name}|{v['birth_date'].isoformat()}|{v['locality_code']}"


def check_link(kind: str, v: dict[str, Any], line: int, errors: list[RowError]) -> None:
    """A link row names a deputy and its target by ID or by natural key."""
    person = (
        v["deputy_id"] is not None
        or v["id_number"] is not None
        or (
            v["name"] is not None and v["birth_date"] is not None and v["locality_code"] is not None
        )
    )
    if not person:
        errors.append(
            RowError(
                line,
                "deputy_id",
                "REQUIRED",
                "Name the deputy: deputy_id, or id_number, or name + birth_date + locality_code.",
            )
        )
    if v["id_number"] is not None:
        v["id_number"] = v["id_number"].upper()
    target = KINDS[kind].target
    assert target is not None
    target_id, natural = target
    if v[target_id] is None and any(v[c] is None for c in natural):
        errors.append(
            RowError(
                line,
                target_id,
                "REQUIRED",
                f"Name the target: {target_id}, or {' + '.join(natural)}.",
            )
        )


# ---------------------------------------------------------------- a whole file


def parse(
    kind: str,
    data: bytes,
    fmt: str,
    progress: Progress = no_progress,
    max_rows: int | None = None,
    clock: Clock | None = None,
) -> tuple[list[tuple[Any, ...]], list[RowError]]:
    """The staging records of a file (line first) and the errors found in its values.

    More than `max_rows` rows is a BadFile (TOO_MANY_ROWS) as soon as the next row is read;
    the clock's deadline is looked at every 1,000 rows."""
    clock = clock or Clock()
    spec = KINDS[kind]
    errors: list[RowError] = []
    rows = read_rows(data, fmt)
    first = next(rows, None)
    if first is None:
        raise BadFile("the file is empty: its first line names the columns")
    by_header = spec.by_header()
    positions: dict[str, int] = {}
    for i, cell in enumerate(first[1]):
        title = (cell or "").strip()
        col = by_header.get(title) or by_header.get(title.lower())
        if col is None:
            if title:
                errors.append(
                    RowError(1, title, "UNKNOWN_COLUMN", f"There is no column {title!r}.")
                )
        elif col.name in positions:
            errors.append(RowError(1, title, "DUPLICATE_COLUMN", f"{col.name} appears twice."))
        else:
            positions[col.name] = i
    for col in spec.columns:
        if col.required and col.name not in positions:
            errors.append(
                RowError(1, col.name, "MISSING_COLUMN", f"The column {col.name} is missing.")
            )
    if errors and len(positions) == 0:
        raise BadFile(f"its first line names no column of a {kind} file")
    if errors:
        return [], errors
    check = check_deputy if kind == "deputies" else None
    present = [(c, positions[c.name]) for c in spec.columns if c.name in positions]
    # Absent optional columns and derived values start blank.
    blank = dict.fromkeys([c.name for c in spec.columns if c.name not in positions])
    blank.update(dict.fromkeys(spec.derived))
    names = spec.column_names()
    records: list[tuple[Any, ...]] = []
    for line, cells in rows:
        if not any(c is not None and str(c).strip() for c in cells):
            continue  # a blank line
        width = len(cells)
        v = dict(blank)
        for c, i in present:
            v[c.name] = convert(c, cells[i] if i < width else None, line, errors)
        if check is not None:
            check(v, line, errors)
        else:
            check_link(kind, v, line, errors)
        if max_rows is not None and len(records) >= max_rows:
            raise BadFile(
                f"it has more than {max_rows:,} rows, the most one import takes "
                "(REGISTRY_IMPORT_MAX_ROWS): split it",
                code="TOO_MANY_ROWS",
                status=413,
            )
        records.append((line, *[v[n] for n in names]))
        if len(records) % 1_000 == 0:
            clock.rows_checked = len(records)
            clock.check("reading")
        if len(records) % 10_000 == 0:
            progress("reading", len(records), 0)
    progress("reading", len(records), len(records))
    clock.rows_checked = len(records)
    return records, errors
