"""Field collection over the document: fragments, inline fragments, @skip/@include, aliases."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionSetNode,
)
from graphql.execution.values import VariableValues, get_directive_values
from graphql.type import GraphQLIncludeDirective, GraphQLSkipDirective


class Unsupported(Exception):
    """Something the compiler leaves to the resolver path (which also reports errors)."""


def named_type(field: GraphQLField) -> Any:
    t = field.type
    while isinstance(t, (GraphQLNonNull, GraphQLList)):
        t = t.of_type
    return t


@dataclass(frozen=True)
class Document:
    schema: GraphQLSchema
    fragments: dict[str, FragmentDefinitionNode]
    variables: VariableValues


def _included(doc: Document, node: Any) -> bool:
    skip = get_directive_values(GraphQLSkipDirective, node, doc.variables)
    if skip and skip.get("if") is True:
        return False
    include = get_directive_values(GraphQLIncludeDirective, node, doc.variables)
    return not (include and include.get("if") is False)


def _applies(doc: Document, type_name: str | None, runtime: GraphQLObjectType) -> bool:
    if type_name is None or type_name == runtime.name:
        return True
    abstract = doc.schema.get_type(type_name)
    return abstract is not None and doc.schema.is_sub_type(abstract, runtime)  # type: ignore[arg-type]


def collect(
    doc: Document, runtime: GraphQLObjectType, selection_sets: list[SelectionSetNode]
) -> dict[str, list[FieldNode]]:
    """Response key -> the field nodes merged under it, in document order."""
    fields: dict[str, list[FieldNode]] = {}
    seen: set[str] = set()

    def visit(selection_set: SelectionSetNode) -> None:
        for selection in selection_set.selections:
            if not _included(doc, selection):
                continue
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                fields.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = (
                    selection.type_condition.name.value if selection.type_condition else None
                )
                if _applies(doc, condition, runtime):
                    visit(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = doc.fragments.get(name)
                if name in seen or fragment is None:
                    continue
                seen.add(name)
                if _applies(doc, fragment.type_condition.name.value, runtime):
                    visit(fragment.selection_set)

    for selection_set in selection_sets:
        visit(selection_set)
    return fields


def sub_selections(nodes: list[FieldNode]) -> list[SelectionSetNode]:
    return [n.selection_set for n in nodes if n.selection_set is not None]
