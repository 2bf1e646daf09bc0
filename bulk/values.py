"""Each cell's value in its column's type, and the checks of a value that need no database:
dates, numbers, enumerations, resident ID numbers (GB 11643 check digit and birth date)."""

from __future__ import annotations

import operator
import re
from datetime import date
from typing import Any

from bulk.columns import Col, enum_value
from bulk.problems import RowProblems
from core.codes import Code
from db.pinyin import name_pinyin, search_vector
from resolvers.ids import decode_int_id

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
ID_SHAPE = re.compile(r"^\d{17}[\dX]$")
PHONE = re.compile(r"^\+?[0-9][0-9 -]{6,19}$")
DATE_SHAPE = re.compile(r"^(\d{4})[-/.]?(\d{1,2})[-/.]?(\d{1,2})$")
TRUE = {"true", "1", "yes", "y", "是", "t"}
FALSE = {"false", "0", "no", "n", "否", "f"}


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


def convert(column: Col, raw: str | None, line: int, problems: RowProblems) -> Any:
    """One cell's value in its column's type; None (and an error) when it is not one."""
    value = raw.strip() if raw is not None else ""
    if not value:
        if column.required:
            problems.at(line, column.name, Code.REQUIRED, f"{column.name} is required.")
        return None
    kind = column.type
    if kind == "text":
        return value
    if kind == "date":
        day = parse_date(value)
        if day is None:
            problems.at(line, column.name, Code.BAD_DATE, f"{value!r} is not a date (YYYY-MM-DD).")
        return day
    if kind == "int":
        if value.isdigit() and len(value) < 9:
            return int(value)
        problems.at(line, column.name, Code.INVALID_VALUE, f"{value!r} is not a whole number.")
        return None
    if kind == "bool":
        if value.lower() in TRUE:
            return True
        if value.lower() in FALSE:
            return False
        problems.at(line, column.name, Code.INVALID_VALUE, f"{value!r} is not true or false.")
        return None
    if kind.startswith("id:"):
        key = decode_int_id(value, kind[3:])
        if key is None and value.isdigit():
            key = int(value)  # a database id, as the CSV export also accepts
        if key is None:
            problems.at(line, column.name, Code.INVALID_VALUE, f"{value!r} is not a {kind[3:]} ID.")
        return key
    found = enum_value(kind, value)
    if found is None:
        problems.at(line, column.name, Code.INVALID_VALUE, f"{value!r} is not one of {kind}.")
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
