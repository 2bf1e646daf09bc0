"""The request budgets (read from Settings) and the errors that refuse a request over one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

from graphql import GraphQLError, Node

from core.codes import Code
from core.settings import Settings

# Before parsing, tokens are counted up to this many times the limit, so that the error
# can say by how much a document is over without lexing all of a huge one.
TOKEN_COUNT_REACH = 10


@dataclass(frozen=True)
class Limits:
    """The budgets, read from Settings (a field missing there keeps the default here)."""

    max_tokens: int = 2000
    max_depth: int = 12
    max_aliases: int = 30
    max_cost: int = 50_000
    max_page_size: int = 100
    default_page_size: int = 20
    introspection: bool = True
    max_document_bytes: int = 65_536
    max_string_length: int = 10_000
    max_search_length: int = 200

    @classmethod
    def from_settings(cls, settings: Settings | None) -> Limits:
        if settings is None:
            return cls()
        values: dict[str, Any] = {f.name: getattr(settings, f.name, f.default) for f in fields(cls)}
        return cls(**values)


def limit_error(code: str, message: str, nodes: Sequence[Node] | None = None) -> GraphQLError:
    return GraphQLError(message, nodes=nodes, extensions={"code": code})


def token_limit_error(tokens: int, limit: int, *, at_least: bool = False) -> GraphQLError:
    more = "more than " if at_least else ""
    return limit_error(
        Code.TOKEN_LIMIT,
        f"Query has {more}{tokens} tokens, exceeding the limit of {limit} "
        f"(by {more}{tokens - limit}): send a shorter query or split it.",
    )


def depth_limit_error(depth: int, limit: int) -> GraphQLError:
    return limit_error(
        Code.DEPTH_LIMIT,
        f"Query depth {depth} exceeds the limit of {limit} (by {depth - limit}): "
        "ask for fewer nested levels.",
    )


def alias_limit_error(aliases: int, limit: int) -> GraphQLError:
    return limit_error(
        Code.ALIAS_LIMIT,
        f"Query uses {aliases} aliases, exceeding the limit of {limit} "
        f"(by {aliases - limit}): split it into several requests.",
    )


def cost_limit_error(cost: int, limit: int) -> GraphQLError:
    return limit_error(
        Code.COST_LIMIT,
        f"Query cost {cost} exceeds the limit of {limit} (by {cost - limit}): "
        "lower `first` in nested lists.",
    )
