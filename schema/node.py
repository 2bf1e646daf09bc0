"""The Node interface: every object with a global ID (see resolvers.ids)."""

from __future__ import annotations

from typing import Any

import strawberry

from resolvers.ids import decode_id, decode_int_id, encode_id
from schema.fields import RowObject

__all__ = ["Node", "decode_id", "decode_int_id", "encode_id"]


@strawberry.interface(description="An object with a global ID, fetchable with Query.node.")
class Node(RowObject):
    row: strawberry.Private[Any]

    @strawberry.field(description="Opaque global ID.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(encode_id(type(self).__name__, getattr(self.row, self.key_column())))
