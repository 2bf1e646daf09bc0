"""Cursor connections (edges, nodes, pageInfo, totalCount, boundedCount) shared by every
list that pages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Annotated, Any, Generic, TypeVar

import strawberry
from strawberry.types import Info
from strawberry.types.nodes import SelectedField

from resolvers.pagination import Page, PageArgs, count_limit, page_args

NodeT = TypeVar("NodeT")


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type(
    description="A count that stops at a limit: it costs at most `limit + 1` rows read, "
    "however many match (a typeahead's '1000+')."
)
class BoundedCount:
    count: int = strawberry.field(
        description="The number of rows when `isExact`; otherwise `limit`: there are more."
    )
    is_exact: bool = strawberry.field(
        description="Whether `count` is the exact number of rows (false: more than `count`)."
    )

    @classmethod
    def of(cls, counted: int, limit: int) -> BoundedCount:
        """From rows counted up to `limit + 1` or more (the exact total, say)."""
        return cls(count=min(counted, limit), is_exact=counted <= limit)


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
    bounded: strawberry.Private[int | None]

    @strawberry.field
    def nodes(self) -> list[NodeT]:
        return [edge.node for edge in self.edges]

    @strawberry.field(
        description="The exact number of rows in the list. Counting reads every row (a "
        "search matching half a million deputies: about a second) unless the total is kept "
        "(a region's deputies of one level or all, no other filter); for a typeahead ask for "
        "boundedCount."
    )
    async def total_count(self) -> int:
        return await self.count()

    @strawberry.field(
        description="The number of rows counted up to `limit`, flagged exact or not: it reads "
        "at most `limit + 1` rows however many match, so a page never waits for a full count."
    )
    def bounded_count(
        self,
        info: Info,
        limit: Annotated[
            int | None,
            strawberry.argument(
                description="Count up to this many rows: at most the service's ceiling "
                "(REGISTRY_COUNT_CEILING, 1000 unless configured), which is also the default."
            ),
        ] = None,
    ) -> BoundedCount:
        assert self.bounded is not None, "boundedCount was not detected in the selection"
        return BoundedCount.of(self.bounded, count_limit(info.context.settings, limit))


def _fields(selections: list[Any]) -> Iterator[SelectedField]:
    for selection in selections:
        if isinstance(selection, SelectedField):
            yield selection
        else:  # a fragment spread or inline fragment: look inside
            yield from _fields(selection.selections)


def selects_total(info: Info) -> bool:
    """Whether the connection being resolved asks for totalCount (through fragments too)."""
    return any(
        selected.name == "totalCount"
        for field in info.selected_fields
        for selected in _fields(field.selections)
    )


def count_limits(info: Info) -> list[int | None]:
    """The `limit` of every boundedCount the connection being resolved selects."""
    # A literal's value comes as its text, a variable's as the number.
    limits = [
        selected.arguments.get("limit")
        for field in info.selected_fields
        for selected in _fields(field.selections)
        if selected.name == "boundedCount"
    ]
    return [None if limit is None else int(limit) for limit in limits]


def page_args_for(info: Info, first: int | None, after: str | None) -> PageArgs:
    return page_args(info.context.settings, first, after, selects_total(info), count_limits(info))


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
        bounded=page.bounded,
    )
