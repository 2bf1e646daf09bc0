"""Reading an import file, CSV or XLSX, into rows of text cells (header first)."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from bulk.problems import BadFile


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
            yield line, list[str | None](cells)
            line = reader.line_num + 1  # a quoted cell may span lines
    except csv.Error as exc:  # e.g. a cell longer than the CSV reader's field limit
        raise BadFile(f"line {line} is not CSV ({exc})") from None


def sniff_format(data: bytes, filename: str | None = None, content_type: str | None = None) -> str:
    if data[:4] == b"PK\x03\x04":  # a ZIP container: XLSX
        return "xlsx"
    if (filename or "").lower().endswith(".xlsx") or "spreadsheetml" in (content_type or ""):
        raise BadFile("the file is named XLSX but is not one")
    return "csv"
