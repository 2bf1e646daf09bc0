"""A mutation is declared once, on its input type: the payload it answers with, what it
writes in (for the editor's region check) and the domain write it runs.

    @mutation_input(GroupPayload, ("Congress", "congress_id"), writes.create_group)
    class CreateGroupInput: ...

    GroupMutation = mutation_type("GroupMutation", CreateGroupInput, ...)

gives the field `createGroup(input: CreateGroupInput!): GroupPayload!`. The write's
parameters after (conn, actor) are fed from the input's fields of the same name; a parameter
the input has no field for takes the whole input as its spec (a frozen dataclass).
"""

from __future__ import annotations

import dataclasses
import inspect
import re
import typing
from collections.abc import Awaitable, Callable
from operator import attrgetter
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncConnection
from strawberry.types import Info

from resolvers.mutations.base import Actor
from schema.mutations.base import UserError, perform

DomainWrite = Callable[..., Awaitable[int]]
_EMPTY = inspect.Parameter.empty


def payload(name: str, field: str, node: type) -> type:
    """A mutation's answer: `field`, the node written (null on any problem), and userErrors."""
    annotations = {field: node | None, "user_errors": list[UserError]}
    made = strawberry.type(type(name, (), {"__annotations__": annotations}))
    made.written = (field, node)  # type: ignore[attr-defined]
    return made


def _convert(value: Any, hint: Any, default: Any) -> Any:
    if value is None:
        return None if default in (_EMPTY, dataclasses.MISSING) else default
    if dataclasses.is_dataclass(hint):
        return spec_of(value, hint)  # type: ignore[arg-type]
    if isinstance(value, list):
        (item,) = typing.get_args(hint)[:1] or (None,)
        return tuple(_convert(v, item, _EMPTY) for v in value)
    return value


def spec_of(input: object, spec: type) -> Any:
    """A domain spec from an input of the same field names: lists become tuples, a field
    left out takes the spec's default, a nested input its own spec."""
    hints = typing.get_type_hints(spec)
    return spec(
        **{
            f.name: _convert(getattr(input, f.name), hints[f.name], f.default)
            for f in dataclasses.fields(spec)
        }
    )


def _feeder(write: DomainWrite, input_type: type) -> Callable[[Any], dict[str, Any]]:
    """The write's arguments from an input, checked against the input's fields once."""
    hints = typing.get_type_hints(write)
    params = list(inspect.signature(write).parameters.values())[2:]
    names = set(typing.get_type_hints(input_type))
    for p in params:
        if p.name not in names and not dataclasses.is_dataclass(hints[p.name]):
            raise TypeError(f"{input_type.__name__} has no field {p.name} for {write.__name__}")

    def arguments(input: Any) -> dict[str, Any]:
        return {
            p.name: _convert(getattr(input, p.name), hints[p.name], p.default)
            if p.name in names
            else spec_of(input, hints[p.name])
            for p in params
        }

    return arguments


_DECLARED: dict[type, Any] = {}


def mutation_input(
    answer: type, target: tuple[str, str], write: DomainWrite, description: str | None = None
) -> Callable[[type], type]:
    """Make the class a strawberry input and declare the mutation that takes it.

    `target` is the kind of what the write touches and the input field naming it (dotted for
    a nested input)."""
    kind, field_path = target
    field, node = answer.written  # type: ignore[attr-defined]

    def declare(cls: type) -> type:
        input_type = strawberry.input(cls)
        arguments = _feeder(write, input_type)

        async def resolve(info: Info, input: Any) -> Any:
            def run(conn: AsyncConnection, actor: Actor) -> Awaitable[int]:
                return write(conn, actor, **arguments(input))

            key, errors = await perform(info, run, (kind, attrgetter(field_path)(input)))
            found = await node.load(info, key) if key else None
            return answer(**{field: found, "user_errors": errors})

        resolve.__annotations__ = {"info": Info, "input": input_type, "return": answer}
        _DECLARED[input_type] = strawberry.mutation(resolver=resolve, description=description)
        return input_type

    return declare


def mutation_type(name: str, *inputs: type) -> type:
    """A part of Mutation: one field per input, named after it (CreateGroupInput: createGroup)."""
    fields = {
        re.sub(r"(?<!^)(?=[A-Z])", "_", i.__name__.removesuffix("Input")).lower(): _DECLARED[i]
        for i in inputs
    }
    return strawberry.type(type(name, (), {"__annotations__": {}, **fields}))
