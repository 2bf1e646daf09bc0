"""Small column helpers so that every table declares enums, timestamps and checks alike."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Column, DateTime, Table, func
from sqlmodel import Field, SQLModel

from db.enums import pg_enum


def enum_field(enum_class: type[enum.Enum], *, nullable: bool = False, index: bool = False) -> Any:
    return Field(sa_column=Column(pg_enum(enum_class), nullable=nullable, index=index))


def created_at_field() -> Any:
    return Field(
        default=None,
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


def updated_at_field() -> Any:
    return Field(
        default=None,
        sa_column=Column(
            DateTime(timezone=True), nullable=False, server_default=func.now(), index=True
        ),
    )


Timestamp = datetime | None


def table_of(model: type[SQLModel]) -> Table:
    """A model's table, typed (SQLModel declares `__table__` without a type)."""
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table
