"""Checks of a request's text before it is parsed or run: the document's size, its tokens
(comments included) and its string values (NUL characters, lengths).

`service.front` applies them with the other limits, on both read paths; see its doc for
how each is counted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from graphql import (
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    InlineFragmentNode,
    Lexer,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    Source,
    StringValueNode,
    Token,
    TokenKind,
    ValueNode,
    VariableNode,
)
from graphql.error import GraphQLSyntaxError

from core.codes import Code


class StringLimits(Protocol):
    @property
    def max_string_length(self) -> int: ...

    @property
    def max_search_length(self) -> int: ...


def _limit_error(code: str, message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})


def document_size_error(size: int, limit: int) -> GraphQLError:
    return _limit_error(
        Code.DOCUMENT_TOO_LARGE,
        f"The GraphQL document has {size} bytes, exceeding the limit of {limit} "
        f"(by {size - limit}): send a shorter query (comments and whitespace count too).",
    )


def check_document_size(query: str, limit: int) -> GraphQLError | None:
    """DOCUMENT_TOO_LARGE for a `query` string over `limit` UTF-8 bytes, else None."""
    if len(query) > limit:  # at least one byte per character: no need to encode it
        return document_size_error(len(query.encode("utf-8", "surrogatepass")), limit)
    size = len(query.encode("utf-8", "surrogatepass"))
    return document_size_error(size, limit) if size > limit else None


def count_tokens(query: str, stop_after: int | None = None) -> int:
    """Tokens in `query`, comments included; stops once past `stop_after`.

    Tokens are read one at a time and not kept (the lexer's own `advance` would read a
    whole run of comments into its token chain first). A syntax error stops the count
    too: the parser reports it better.
    """
    lexer = Lexer(Source(query))
    count = 0
    position = 0
    try:
        while True:
            token = lexer.read_next_token(position)
            if token.kind is TokenKind.EOF:
                break
            count += 1
            if stop_after is not None and count > stop_after:
                break
            position = token.end
    except GraphQLSyntaxError:
        pass
    return count


def document_tokens(document: DocumentNode) -> int:
    """Tokens of a parsed document, comments included, from the token chain the parser
    kept (0 without one)."""
    if document.loc is None:
        return 0
    count = 0
    token: Token | None = document.loc.start_token
    while token is not None:
        if token.kind not in (TokenKind.SOF, TokenKind.EOF):
            count += 1
        token = token.next
    return count


# --- string values -------------------------------------------------------------------------

SEARCH_NAMES = frozenset({"search"})


def _nul_error(where: str) -> GraphQLError:
    return _limit_error(
        Code.BAD_USER_INPUT,
        f"The string given for `{where}` contains a NUL character (U+0000), "
        "which is not accepted: remove it.",
    )


def _length_error(where: str, length: int, limit: int) -> GraphQLError:
    return _limit_error(
        Code.STRING_TOO_LONG,
        f"The string given for `{where}` has {length} characters, exceeding the limit of "
        f"{limit} (by {length - limit}).",
    )


class _StringCheck:
    """Finds the first NUL and the first over-long string among a request's values."""

    def __init__(self, limits: StringLimits) -> None:
        self.limits = limits
        self.nul: GraphQLError | None = None
        self.too_long: GraphQLError | None = None
        # The argument or input field each variable is given as (`search` wins).
        self.usages: dict[str, str] = {}

    def check(self, value: str, name: str) -> None:
        if self.nul is None and "\x00" in value:
            self.nul = _nul_error(name)
        limit = (
            self.limits.max_search_length if name in SEARCH_NAMES else self.limits.max_string_length
        )
        if self.too_long is None and len(value) > limit:
            self.too_long = _length_error(name, len(value), limit)

    def value_node(self, node: ValueNode, name: str) -> None:
        if isinstance(node, StringValueNode):
            self.check(node.value, name)
        elif isinstance(node, ListValueNode):
            for item in node.values:
                self.value_node(item, name)
        elif isinstance(node, ObjectValueNode):
            for field in node.fields:
                self.value_node(field.value, field.name.value)
        elif isinstance(node, VariableNode):
            variable = node.name.value
            if variable not in self.usages or name in SEARCH_NAMES:
                self.usages[variable] = name

    def arguments(self, node: FieldNode | DirectiveNode) -> None:
        for argument in node.arguments or ():
            self.value_node(argument.value, argument.name.value)

    def selections(self, node: SelectionSetNode | None) -> None:
        for selection in node.selections if node is not None else ():
            for directive in selection.directives or ():
                self.arguments(directive)
            if isinstance(selection, FieldNode):
                self.arguments(selection)
            if isinstance(selection, FieldNode | InlineFragmentNode):
                self.selections(selection.selection_set)

    def document(self, document: DocumentNode) -> None:
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                for variable in definition.variable_definitions or ():
                    if variable.default_value is not None:
                        self.value_node(variable.default_value, variable.variable.name.value)
            if isinstance(definition, OperationDefinitionNode | FragmentDefinitionNode):
                for directive in definition.directives or ():
                    self.arguments(directive)
                self.selections(definition.selection_set)

    def variables(self, variables: Mapping[str, Any]) -> None:
        """After `document`, which found where each variable is used."""
        # Iterative: variables are JSON nested as deep as the client likes.
        pending: list[tuple[object, str]] = [
            (value, self.usages.get(name, name)) for name, value in variables.items()
        ]
        while pending:
            value, name = pending.pop()
            if isinstance(value, str):
                self.check(value, name)
            elif isinstance(value, dict):
                pending.extend((v, str(k)) for k, v in value.items())
            elif isinstance(value, list):
                pending.extend((v, name) for v in value)


def string_errors(
    document: DocumentNode, variables: Mapping[str, Any] | None, limits: StringLimits
) -> list[GraphQLError]:
    """A NUL character or an over-long string anywhere in the request's values."""
    check = _StringCheck(limits)
    check.document(document)
    if variables:
        check.variables(variables)
    return [e for e in (check.nul, check.too_long) if e is not None]
