"""Reading an import file: the column layout of each kind, CSV and XLSX, each cell's value.

Everything that needs no database is checked here, row by row, before the rows are
staged: required cells, dates, numbers, enumerations, resident ID numbers (GB 11643
check digit and birth date), and the rules between the cells of one row. The column
layout is documented in docs/import-format.md; `template` writes an empty file of it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from db.pinyin import name_pinyin, search_vector
from resolvers.ids import decode_int_id


@dataclass(frozen=True)
class RowError:
    """One problem: the file's line (1 is the header), the column and a stable code."""

    line: int
    column: str | None
    code: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "column": self.column,
            "code": self.code,
            "message": self.message,
        }


class BadFile(Exception):
    """The file cannot be read at all (not CSV or XLSX, no header)."""


Progress = Callable[[str, int, int], None]


def no_progress(stage: str, done: int, total: int) -> None:
    pass


@dataclass(frozen=True)
class Col:
    name: str
    label: str  # the Chinese header, accepted as well
    type: str  # text, date, int, bool, id:<Type>, or an enumeration's name
    required: bool = False
    doc: str = ""


# Enumerations: the API's names, and the words a congress office writes.
ENUMS: dict[str, dict[str, str]] = {
    "Gender": {
        "MALE": "MALE",
        "FEMALE": "FEMALE",
        "男": "MALE",
        "女": "FEMALE",
        "M": "MALE",
        "F": "FEMALE",
    },
    "MandateStatus": {
        "ACTIVE": "ACTIVE",
        "SUSPENDED": "SUSPENDED",
        "TERMINATED": "TERMINATED",
        "在任": "ACTIVE",
        "暂停": "SUSPENDED",
        "终止": "TERMINATED",
    },
    "MandateEndReason": {
        **{
            r: r
            for r in (
                "TERM_ENDED",
                "RESIGNED",
                "RECALLED",
                "MOVED_AWAY",
                "DECEASED",
                "CONVICTED",
                "OTHER",
            )
        },
        "任期届满": "TERM_ENDED",
        "辞职": "RESIGNED",
        "罢免": "RECALLED",
        "迁出": "MOVED_AWAY",
        "死亡": "DECEASED",
        "被判处刑罚": "CONVICTED",
        "其他": "OTHER",
    },
    "Level": {
        **{lv: lv for lv in ("NATIONAL", "PROVINCIAL", "PREFECTURAL", "COUNTY", "TOWNSHIP")},
        "全国": "NATIONAL",
        "省": "PROVINCIAL",
        "市": "PREFECTURAL",
        "县": "COUNTY",
        "乡": "TOWNSHIP",
    },
    "GroupRole": {
        "LEADER": "LEADER",
        "DEPUTY_LEADER": "DEPUTY_LEADER",
        "MEMBER": "MEMBER",
        "组长": "LEADER",
        "副组长": "DEPUTY_LEADER",
        "组员": "MEMBER",
    },
}


def enum_value(enum_name: str, raw: str) -> str | None:
    names = ENUMS[enum_name]
    return names.get(raw.upper()) or names.get(raw)


PERSON_REF = (
    Col("deputy_id", "代表ID", "id:Deputy", doc="the API's Deputy ID (or the database id)"),
    Col("id_number", "公民身份号码", "text", doc="18 characters"),
    Col("name", "姓名", "text"),
    Col("birth_date", "出生日期", "date"),
    Col("locality_code", "所在地区划代码", "text", doc="county- or township-level division code"),
)


@dataclass(frozen=True)
class Kind:
    name: str
    columns: tuple[Col, ...]
    # Values computed from the row, staged after the columns (all text).
    derived: tuple[str, ...] = ()
    # Link kinds: the target's ID column and the columns of its natural key.
    target: tuple[str, tuple[str, ...]] | None = None

    def column_names(self) -> list[str]:
        return [c.name for c in self.columns] + list(self.derived)

    def by_header(self) -> dict[str, Col]:
        found: dict[str, Col] = {}
        for c in self.columns:
            found[c.name] = found[c.label] = c
        return found

    def staging_ddl(self) -> str:
        sql = {"text": "varchar", "date": "date", "int": "integer", "bool": "boolean"}
        parts = ["line integer PRIMARY KEY"]
        parts += [
            f"{c.name} {sql.get(c.type, 'integer' if c.type.startswith('id:') else 'text')}"
            for c in self.columns
        ]
        parts += [f"{d} varchar" for d in self.derived]
        return ", ".join(parts)


KINDS: dict[str, Kind] = {
    "deputies": Kind(
        "deputies",
        (
            Col("id_number", "公民身份号码", "text", doc="18 characters; the person's key"),
            Col("name", "姓名", "text", required=True),
            Col("gender", "性别", "Gender", required=True),
            Col("birth_date", "出生日期", "date", doc="required without id_number"),
            Col("birth_year", "出生年份", "int"),
            Col("ethnicity", "民族", "text"),
            Col("party", "党派", "text"),
            Col("occupation", "职业", "text"),
            Col("phone", "电话", "text"),
            Col("is_grassroots", "基层代表", "bool"),
            Col("locality_code", "所在地区划代码", "text", required=True),
            Col(
                "congress_code",
                "人大区划代码",
                "text",
                required=True,
                doc="division code of the congress's region (100000 for the NPC)",
            ),
            Col("term", "届次", "int", doc="blank: the current term"),
            Col("start_date", "资格起始日期", "date", doc="blank: the term's first day"),
            Col("electoral_unit", "选举单位", "text"),
            Col("delegation", "代表团", "text"),
            Col("by_election", "补选", "bool"),
            Col(
                "status",
                "资格状态",
                "MandateStatus",
                doc="blank: TERMINATED with an end date, else ACTIVE",
            ),
            Col("end_date", "资格终止日期", "date"),
            Col("end_reason", "终止原因", "MandateEndReason"),
            Col("suspended_from", "暂停起始日期", "date"),
            Col("suspended_until", "暂停截止日期", "date"),
        ),
        derived=("name_pinyin", "search_vector", "pkey"),
    ),
    "station-assignments": Kind(
        "station-assignments",
        (
            *PERSON_REF,
            Col("station_id", "联络站ID", "id:Station"),
            Col("station_region_code", "联络站区划代码", "text"),
            Col("station_name", "联络站名称", "text"),
            Col("assigned_on", "进站日期", "date", doc="blank: today"),
        ),
        target=("station_id", ("station_region_code", "station_name")),
    ),
    "group-memberships": Kind(
        "group-memberships",
        (
            *PERSON_REF,
            Col("group_id", "代表小组ID", "id:DeputyGroup"),
            Col("group_congress_code", "小组人大区划代码", "text"),
            Col("group_name", "代表小组名称", "text"),
            Col("role", "职务", "GroupRole", doc="blank: MEMBER"),
            Col("joined_on", "加入日期", "date", doc="blank: today"),
        ),
        target=("group_id", ("group_congress_code", "group_name")),
    ),
    "attendance": Kind(
        "attendance",
        (
            *PERSON_REF,
            Col("meeting_id", "会议ID", "id:Meeting"),
            Col("meeting_congress_code", "会议人大区划代码", "text"),
            Col("committee_name", "委员会名称", "text", doc="blank: the standing committee"),
            Col("meeting_number", "会议次数", "int"),
            Col("level", "列席层级", "Level", doc="blank: the highest eligible level"),
            Col("spoke", "发言", "bool"),
        ),
        target=("meeting_id", ("meeting_congress_code", "meeting_number")),
    ),
}


# ---------------------------------------------------------------- reading the file


ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
ID_SHAPE = re.compile(r"^\d{17}[\dX]$")
PHONE = re.compile(r"^\+?[0-9][0-9 -]{6,19}$")
DATE_SHAPE = re.compile(r"^(\d{4})[-/.]?(\d{1,2})[-/.]?(\d{1,2})$")
TRUE = {"true", "1", "yes", "y", "是", "t"}
FALSE = {"false", "0", "no", "n", "否", "f"}


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
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def read_rows(data: bytes, fmt: str) -> Iterator[tuple[int, list[str | None]]]:
    """(line, cells) of every row, the header first (line 1)."""
    if fmt == "xlsx":
        from openpyxl import load_workbook  # imported here: only XLSX needs it

        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:
            raise BadFile(f"not a readable XLSX file ({exc.__class__.__name__})") from exc
        sheet = book.worksheets[0]
        for line, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield line, [_cell(v) for v in row]
        book.close()
        return
    reader = csv.reader(io.StringIO(_decode(data), newline=""))
    line = 1
    for cells in reader:
        yield line, cells
        line = reader.line_num + 1  # a quoted cell may span lines


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
    total = sum(int(d) * w for d, w in zip(value[:17], ID_WEIGHTS, strict=True))
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
    kind: str, data: bytes, fmt: str, progress: Progress = no_progress
) -> tuple[list[tuple[Any, ...]], list[RowError]]:
    """The staging records of a file (line first) and the errors found in its values."""
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
    if errors:
        return [], errors
    check = check_deputy if kind == "deputies" else None
    # Absent optional columns read as blank cells.
    where = [(c, positions.get(c.name, -1)) for c in spec.columns]
    records: list[tuple[Any, ...]] = []
    for line, cells in rows:
        if not any(c is not None and str(c).strip() for c in cells):
            continue  # a blank line
        width = len(cells)
        v = {
            c.name: convert(c, cells[i] if 0 <= i < width else None, line, errors) for c, i in where
        }
        v.update(dict.fromkeys(spec.derived))
        if check is not None:
            check(v, line, errors)
        else:
            check_link(kind, v, line, errors)
        records.append((line, *(v[n] for n in spec.column_names())))
        if len(records) % 10_000 == 0:
            progress("reading", len(records), 0)
    progress("reading", len(records), len(records))
    return records, errors


def template(kind: str, fmt: str) -> bytes:
    """An empty file with the kind's header; XLSX adds a sheet that explains each column."""
    spec = KINDS[kind]
    header = [c.name for c in spec.columns]
    if fmt == "csv":
        out = io.StringIO()
        csv.writer(out).writerow(header)
        return ("\ufeff" + out.getvalue()).encode("utf-8")  # the BOM makes Excel read UTF-8
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = kind
    sheet.append(header)
    notes = book.create_sheet("说明 columns")
    notes.append(["column", "中文", "type", "required", "notes"])
    for c in spec.columns:
        notes.append([c.name, c.label, c.type, "yes" if c.required else "", c.doc])
    out_bytes = io.BytesIO()
    book.save(out_bytes)
    return out_bytes.getvalue()
