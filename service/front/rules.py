"""The request limits as graphql-core validation rules, run in the one validation of a
document (service.front) ahead of the specification's rules.

The rules measure the whole document when validation enters it, before any other rule
has walked it; when one refuses, `LimitsGate` stops the validation there, so that an
over-limit request is refused with the limits' errors alone and never pays for the
costlier rules (fields merging, fragment cycles) on a document built to be expensive.
The cost counts the request's variables (`first: $n`): the rules are bound to one
request's inputs by `limit_rules`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from graphql import DocumentNode, GraphQLError, GraphQLSchema, validate
from graphql.validation import ASTValidationRule, ValidationContext
from graphql.validation.validate import ValidationAbortedError

from core.settings import Settings
from service.front.budgets import (
    Limits,
    alias_limit_error,
    cost_limit_error,
    depth_limit_error,
    token_limit_error,
)
from service.front.measure import Measure, measure_document
from service.input_checks import document_tokens, string_errors


class LimitsExceeded(ValidationAbortedError):
    """Raised by LimitsGate to end a validation; never reported itself."""


class RequestInputs:
    """One request's inputs to the rules, and what they found (measured once for all)."""

    def __init__(
        self, limits: Limits, variables: Mapping[str, Any] | None, operation_name: str | None
    ) -> None:
        self.limits = limits
        self.variables = variables
        self.operation_name = operation_name
        self.refused: list[GraphQLError] = []
        self._measured: tuple[Measure, list[GraphQLError]] | None = None

    def measure(self, context: ValidationContext) -> tuple[Measure, list[GraphQLError]]:
        if self._measured is None:
            self._measured = measure_document(
                context.schema, context.document, self.variables, self.operation_name, self.limits
            )
        return self._measured


class _LimitRule(ASTValidationRule):
    inputs: ClassVar[RequestInputs]
    context: ValidationContext  # validate() gives an executable document's context

    def errors(self) -> list[GraphQLError]:
        raise NotImplementedError

    def enter_document(self, *_: object) -> None:
        for error in self.errors():
            self.inputs.refused.append(error)
            self.report_error(error)


class StringLimitRule(_LimitRule):
    """NUL characters and over-long strings, in the document and in the variables."""

    def errors(self) -> list[GraphQLError]:
        inputs = self.inputs
        return string_errors(self.context.document, inputs.variables, inputs.limits)


class DepthLimitRule(_LimitRule):
    def errors(self) -> list[GraphQLError]:
        depth, limit = self.inputs.measure(self.context)[0].depth, self.inputs.limits.max_depth
        return [depth_limit_error(depth, limit)] if depth > limit else []


class AliasLimitRule(_LimitRule):
    def errors(self) -> list[GraphQLError]:
        aliases = self.inputs.measure(self.context)[0].aliases
        limit = self.inputs.limits.max_aliases
        return [alias_limit_error(aliases, limit)] if aliases > limit else []


class PageSizeRule(_LimitRule):
    """`first` and `nodes(ids:)` within the page size."""

    def errors(self) -> list[GraphQLError]:
        return self.inputs.measure(self.context)[1]


class CostLimitRule(_LimitRule):
    def errors(self) -> list[GraphQLError]:
        cost, limit = self.inputs.measure(self.context)[0].cost, self.inputs.limits.max_cost
        return [cost_limit_error(cost, limit)] if cost > limit else []


class LimitsGate(_LimitRule):
    """Ends the validation when a limit refused the request."""

    def errors(self) -> list[GraphQLError]:
        if self.inputs.refused:
            raise LimitsExceeded("request limits exceeded")
        return []


LIMIT_RULES: tuple[type[_LimitRule], ...] = (
    StringLimitRule,
    DepthLimitRule,
    AliasLimitRule,
    PageSizeRule,
    CostLimitRule,
    LimitsGate,
)


def limit_rules(inputs: RequestInputs) -> tuple[type[ASTValidationRule], ...]:
    """The limit rules bound to one request's inputs (validate() instantiates rules itself)."""
    return tuple(type(rule.__name__, (rule,), {"inputs": inputs}) for rule in LIMIT_RULES)


def without_gate(errors: list[GraphQLError]) -> list[GraphQLError]:
    return [e for e in errors if not isinstance(e, LimitsExceeded)]


def check_limits(
    schema: object | None,
    document: DocumentNode,
    variables: Mapping[str, Any] | None,
    operation_name: str | None,
    settings: Settings | None,
) -> list[GraphQLError]:
    """Every limit, applied to a document parsed apart (with its token chain): the errors
    the service would answer it with, [] when within them. `schema` is a strawberry
    Schema or a graphql-core GraphQLSchema."""
    limits = Limits.from_settings(settings)
    errors: list[GraphQLError] = []
    tokens = document_tokens(document)
    if tokens > limits.max_tokens:
        errors.append(token_limit_error(tokens, limits.max_tokens))
    inner = getattr(schema, "_schema", schema)
    assert isinstance(inner, GraphQLSchema)
    inputs = RequestInputs(limits, variables, operation_name)
    validate(inner, document, limit_rules(inputs))
    return errors + inputs.refused
