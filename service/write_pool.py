"""Mutations on connections kept for them.

Reads of the resolver path and writes share the request pool (`REGISTRY_POOL_SIZE`); each
read is bounded by the statement timeout, but enough slow ones at once (a table locked by
a migration, a heavy report) would still leave a mutation waiting for a connection and
answering 503. So a process keeps a few connections for mutations alone
(`REGISTRY_WRITE_POOL_SIZE`): once an operation is known to be a mutation, before any of
its resolvers runs, its request takes its connection from there. Whatever the mutation
reads afterwards runs on that same connection, so a request never holds two.
"""

from __future__ import annotations

from collections.abc import Iterator

from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType


class MutationsOnTheWritePool(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        if self.execution_context.operation_type is OperationType.MUTATION:
            self.execution_context.context.db.for_writes = True
        yield
