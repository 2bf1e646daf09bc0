"""A request's GraphQL document as every reader of it sees it: parsed once and validated
once (with the request limits) by the front of the service (service.front), then read by
the logs and metrics, the compiled path and strawberry alike."""

from __future__ import annotations

from dataclasses import dataclass, field

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
)


@dataclass(frozen=True)
class PreparedOperation:
    """`document` is None when the text could not be parsed (`parse_error` says why, as the
    only error of the request); `errors` are the validation's, the limits' included."""

    document: DocumentNode | None
    operation: OperationDefinitionNode | None = None  # the one that runs, when it is known
    parse_error: GraphQLError | None = None
    errors: tuple[GraphQLError, ...] = ()
    fragments: dict[str, FragmentDefinitionNode] = field(default_factory=dict)

    @property
    def runnable(self) -> bool:
        return self.operation is not None and self.parse_error is None and not self.errors

    @property
    def operation_type(self) -> str:
        """query, mutation or subscription (a document that runs nothing counts as a query)."""
        return self.operation.operation.value if self.operation is not None else "query"

    def operation_name(self, given: str | None) -> str:
        """The name for logs and metrics: the request's `operationName`, else the document's."""
        if given:
            return given
        name = self.operation.name if self.operation is not None else None
        return name.value if name is not None else "anonymous"


def choose_operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    """The operation `name` picks (the only one without a name), None when none or several."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name:
        operations = [o for o in operations if o.name is not None and o.name.value == name]
    return operations[0] if len(operations) == 1 else None


def fragments_of(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
