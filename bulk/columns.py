"""The column layout of each import kind (docs/import-format.md), its enumerations, and the
downloadable templates; the CSV exports write the same columns."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass


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
