"""Administrative divisions: a tree from the nation (100000) down to townships."""

from __future__ import annotations

from sqlalchemy import Column, Index, String
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Field, SQLModel

from db.columns import enum_field
from db.enums import Level


class Region(SQLModel, table=True):
    __tablename__ = "regions"
    __table_args__ = (
        # "This region and everything below" is `lineage @> ARRAY[code]`: one GIN index scan.
        Index("ix_regions_lineage", "lineage", postgresql_using="gin"),
        Index("ix_regions_level_code", "level", "code"),
    )

    code: str = Field(primary_key=True, max_length=9)
    parent_code: str | None = Field(default=None, foreign_key="regions.code", index=True)
    level: Level = enum_field(Level)
    # Finer kind from the division's name: PROVINCE, CITY, PREFECTURE (地区), LEAGUE (盟),
    # DISTRICT, COUNTY, TOWN, TOWNSHIP, SUBDISTRICT (街道), OTHER_TOWNSHIP (codes 400-599)...
    kind: str = Field(max_length=32)
    name: str
    # Codes from the root down to this region itself: ['100000', '220000', '220400'].
    lineage: list[str] = Field(sa_column=Column(ARRAY(String), nullable=False))
