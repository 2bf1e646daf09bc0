"""LevelCount: how many of something there are at one level."""

from __future__ import annotations

import strawberry

from db.enums import Level


@strawberry.type(description="How many of something there are at one level.")
class LevelCount:
    level: Level
    count: int


def level_counts(pairs: list[tuple[Level, int]]) -> list[LevelCount]:
    return [LevelCount(level=level, count=count) for level, count in pairs]
