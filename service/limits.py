"""The request limits (their home: service.front), by the names other modules know."""

from __future__ import annotations

from service.front.budgets import (
    TOKEN_COUNT_REACH,
    Limits,
    alias_limit_error,
    cost_limit_error,
    depth_limit_error,
    token_limit_error,
)
from service.front.measure import LIST_ESTIMATE, Measure, measure_document, query_cost
from service.front.prepare import guard_schema
from service.front.rules import check_limits, limit_rules

__all__ = [
    "LIST_ESTIMATE",
    "TOKEN_COUNT_REACH",
    "Limits",
    "Measure",
    "alias_limit_error",
    "check_limits",
    "cost_limit_error",
    "depth_limit_error",
    "guard_schema",
    "limit_rules",
    "measure_document",
    "query_cost",
    "token_limit_error",
]
