"""Running totals behind the reports: how many deputies each region's subtree holds.

One row per (scope, region, level, birth year): the deputies counted in that region's whole
subtree, not in the region alone, so a report of any region reads its own few rows instead
of counting millions of mandates. `level` NULL is the deputies of all levels together (a
deputy with mandates at two levels counts once), as a region's deputy count shows them.
Triggers keep the rows current on every write (migration 0004); `asOf` reports, which ask
about the past, still count the mandates themselves.
"""

from __future__ import annotations

from sqlalchemy import Column, SmallInteger, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from db.columns import enum_field
from db.enums import Level


class ReportCount(SQLModel, table=True):
    __tablename__ = "report_counts"
    __table_args__ = (
        UniqueConstraint(
            "scope",
            "region_code",
            "level",
            "birth_year",
            name="uq_report_counts_key",
            postgresql_nulls_not_distinct=True,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    # CONGRESSES: mandates in the subtree's congresses; LOCALITY: deputies living in it.
    scope: str = Field(sa_column=Column(String(16), nullable=False))
    region_code: str = Field(max_length=9)
    level: Level | None = enum_field(Level, nullable=True)
    # Under-40 counts need the year (and, in the boundary year, the date); 0 for years up to
    # 1980 and unknown ones, which can no longer be under 40.
    birth_year: int = Field(sa_column=Column(SmallInteger, nullable=False))
    deputies: int = 0
    female: int = 0
    grassroots: int = 0
    minority: int = 0
    # Deputies assigned to at least one liaison station.
    in_station: int = 0
