"""LevelCount (how many of something there are at one level), and figures computed by the
resolvers handed to the GraphQL types that show them."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, TypeVar

import strawberry

from db.enums import Level

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

Shown = TypeVar("Shown", bound="DataclassInstance")


@strawberry.type(description="How many of something there are at one level.")
class LevelCount:
    level: Level
    count: int


def level_counts(pairs: list[tuple[Level, int]]) -> list[LevelCount]:
    return [LevelCount(level=level, count=count) for level, count in pairs]


def shown(type_: type[Shown], figures: object, **given: Any) -> Shown:
    """A strawberry type whose fields (those not `given`) are the like-named attributes of
    the figures (or the row) a resolver read."""
    names = [f.name for f in dataclasses.fields(type_) if f.init and f.name not in given]
    return type_(**{name: getattr(figures, name) for name in names}, **given)
