"""Cursor connections (edges, nodes, pageInfo, totalCount) shared by every list that pages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

import strawberry
from strawberry.types import Info
from strawberry.types.nodes import SelectedField

from resolvers.pagination import Page, PageArgs, page_args

NodeT = TypeVar("NodeT")


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type(name="Edge")
class Edge(Generic[NodeT]):
    cursor: str
    node: NodeT


@strawberry.type(name="Connection")
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]]
    page_info: PageInfo
    # Counting can cost more than the page, so it runs only when the field is asked for.
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field
    def nodes(self) -> list[NodeT]:
        return [edge.node for edge in self.edges]

    @strawberry.field
    async def total_count(self) -> int:
        return await self.count()


def _names(selections: list[Any]) -> set[str]:
    names: set[str] = set()
    for selection in selections:
        if isinstance(selection, SelectedField):
            names.add(selection.name)
        else:  # a fragment spread or inline fragment: look inside
            names |= _names(selection.selections)
    return names


def selects_total(info: Info) -> bool:
    """Whether the connection being resolved asks for totalCount (through fragments too)."""
    return any("totalCount" in _names(field.selections) for field in info.selected_fields)


def page_args_for(info: Info, first: int | None, after: str | None) -> PageArgs:
    return page_args(info.context.settings, first, after, selects_total(info))


def to_connection(page: Page, make: Callable[[Any], NodeT]) -> Connection[NodeT]:
    async def count() -> int:
        assert page.total is not None, "totalCount was not detected in the selection"
        return page.total

    edges = [Edge(cursor=c, node=make(row)) for c, row in zip(page.cursors, page.rows, strict=True)]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next,
            has_previous_page=page.has_previous,
            start_cursor=page.cursors[0] if page.cursors else None,
            end_cursor=page.cursors[-1] if page.cursors else None,
        ),
        count=count,
    )
