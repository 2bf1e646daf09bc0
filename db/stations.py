"""Liaison stations (代表之家/联络站), the deputies stationed there and their receptions."""

from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from db.columns import Timestamp, enum_field, updated_at_field
from db.enums import StationKind


class Station(SQLModel, table=True):
    __tablename__ = "stations"
    __table_args__ = (
        CheckConstraint("star_rating BETWEEN 1 AND 5", name="ck_stations_star_rating"),
        CheckConstraint("reception_day BETWEEN 1 AND 31", name="ck_stations_reception_day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str
    kind: StationKind = enum_field(StationKind)
    region_code: str = Field(foreign_key="regions.code", index=True)
    address: str | None = None
    star_rating: int | None = None
    reception_day: int | None = None
    updated_at: Timestamp = updated_at_field()


class StationAssignment(SQLModel, table=True):
    __tablename__ = "station_assignments"

    station_id: int = Field(foreign_key="stations.id", primary_key=True)
    deputy_id: int = Field(foreign_key="deputies.id", primary_key=True, index=True)
    assigned_on: date


class Reception(SQLModel, table=True):
    __tablename__ = "receptions"
    __table_args__ = (
        CheckConstraint(
            "visitors >= 0 AND opinions_collected >= 0 AND problems_resolved >= 0",
            name="ck_receptions_counts",
        ),
        Index("ix_receptions_station_date", "station_id", "date"),
        Index("ix_receptions_date", "date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    station_id: int = Field(foreign_key="stations.id")
    date: date
    visitors: int = 0
    opinions_collected: int = 0
    problems_resolved: int = 0


class ReceptionDeputy(SQLModel, table=True):
    """A deputy present at a reception (one 代表进站人次)."""

    __tablename__ = "reception_deputies"

    reception_id: int = Field(foreign_key="receptions.id", primary_key=True)
    deputy_id: int = Field(foreign_key="deputies.id", primary_key=True, index=True)
