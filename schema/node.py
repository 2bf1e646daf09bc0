"""The Node interface: every object with a global ID (see resolvers.ids)."""

from __future__ import annotations

import strawberry

from resolvers.ids import decode_id, decode_int_id, encode_id

__all__ = ["Node", "decode_id", "decode_int_id", "encode_id"]


@strawberry.interface(description="An object with a global ID, fetchable with Query.node.")
class Node:
    # Each implementing type sets this to the key its ID encodes (a code or a row id).
    node_key: strawberry.Private[object]

    @strawberry.field(description="Opaque global ID.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(encode_id(type(self).__name__, self.node_key))
