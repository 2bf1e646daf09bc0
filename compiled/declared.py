"""What the compiled path knows of the schema, read off strawberry's type definitions.

Nothing here is a table of fields: every relation, root, node type, personal field and
plain column comes from the schema's own declarations (schema.fields: the specs of
resolvers.relations in each field's metadata, `key_loader` on node types, `column(...)`
for a plain field whose column is not its Python name).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graphql import GraphQLObjectType, GraphQLSchema
from strawberry.types.arguments import convert_arguments
from strawberry.types.private import is_private

from resolvers.loaders import RowByKeyLoader
from resolvers.relations import COLUMN, SPEC

PAGING = ("first", "after")


@dataclass(frozen=True)
class Declared:
    """One field: the spec it answers, or the column it reads (plain fields)."""

    spec: Any
    column: str | None
    field: Any  # strawberry's StrawberryField


@dataclass(frozen=True)
class SchemaMap:
    fields: dict[tuple[str, str], Declared]
    nodes: dict[str, type[RowByKeyLoader]]  # node type -> the loader of its row by key
    strawberry: Any  # strawberry's Schema, for argument conversion

    def field(self, type_name: str, name: str) -> Declared | None:
        return self.fields.get((type_name, name))

    def arguments(self, declared: Declared, args: dict[str, Any]) -> dict[str, Any]:
        """graphql-core's coerced arguments as the resolver path gets them (Python names,
        input objects built), without the paging arguments."""
        kwargs = convert_arguments(
            args,
            declared.field.arguments,
            scalar_registry=self.strawberry.schema_converter.scalar_registry,
            config=self.strawberry.config,
        )
        return {k: v for k, v in kwargs.items() if k not in PAGING}


@lru_cache(maxsize=8)
def schema_map(schema: GraphQLSchema) -> SchemaMap:
    strawberry_schema = schema._strawberry_schema  # type: ignore[attr-defined]
    names = strawberry_schema.config.name_converter
    fields: dict[tuple[str, str], Declared] = {}
    nodes: dict[str, type[RowByKeyLoader]] = {}
    for type_name, type_ in schema.type_map.items():
        definition = getattr(type_, "extensions", {}).get("strawberry-definition")
        if not isinstance(type_, GraphQLObjectType) or definition is None:
            continue
        for f in definition.fields:
            spec = f.metadata.get(SPEC)
            if is_private(f.type) or (spec is None and f.base_resolver is not None):
                continue  # not in the schema, or a hand-written resolver (the resolver path's)
            column = None if spec is not None else f.metadata.get(COLUMN, f.python_name)
            fields[(type_name, names.from_field(f))] = Declared(spec, column, f)
        key_loader = getattr(definition.origin, "key_loader", None)
        if key_loader is not None and any(i.name == "Node" for i in type_.interfaces):
            nodes[type_name] = key_loader
    return SchemaMap(fields, nodes, strawberry_schema)
