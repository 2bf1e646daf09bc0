"""One plan per document shape: the variables' values that only fill the statement's
parameters are left out of the plan's key, and read from each request.

A plan is made with every String or ID variable (and such fields of input-object
variables) replaced by a `Traced` value: it carries the path of the value in the
variables and the steps applied to it (strip(), the key of a global ID, a cursor's keys).
Wherever the value ends up in a bind parameter, the plan reads it again from the next
request by that path and those steps. Whatever else looks at the value (its truth, an
equality) is kept as a guard the next request's value must meet; anything else done with
it (an f-string, lower(), hashing, ...) taints its path, and the value then becomes part
of the key (a plan per value, as before). Every other variable (numbers, enums, booleans
and so @skip/@include, lists, nulls) is in the key by value.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from graphql import (
    GraphQLID,
    GraphQLInputObjectType,
    GraphQLNonNull,
    GraphQLSchema,
    GraphQLString,
    OperationDefinitionNode,
)
from graphql.execution.values import VariableValues
from graphql.utilities import type_from_ast
from sqlalchemy.sql import sqltypes

from resolvers.ids import decode_id, decode_int_id
from resolvers.pagination import Ordering, decode_cursor

Path = tuple[str, ...]


class Mismatch(Exception):
    """A request's value that a plan's assumption does not hold for: another plan is made."""


class Tainted(Exception):
    """Raised where a traced value is used in a way a plan cannot replay."""


# --------------------------------------------------------------- steps (pure, replayable)


@dataclass(frozen=True, eq=False)
class Strip:
    def apply(self, value: Any) -> Any:
        return value.strip()


@dataclass(frozen=True, eq=False)
class IdKey:
    """The key of a global ID of `type_name` (an int for integer keys)."""

    type_name: str
    integer: bool

    def apply(self, value: Any) -> Any:
        if self.integer:
            key = decode_int_id(value, self.type_name)
            if key is None:
                raise Mismatch
            return key
        decoded = decode_id(value)
        if decoded is None or decoded[0] != self.type_name:
            raise Mismatch
        return decoded[1]


@dataclass(frozen=True, eq=False)
class CursorKey:
    """The `index`-th key of a cursor of `ordering`."""

    ordering: Ordering
    index: int

    def apply(self, value: Any) -> Any:
        try:
            return decode_cursor(self.ordering, value)[self.index]
        except Exception as exc:  # an invalid cursor: the resolver path says so
            raise Mismatch from exc


@dataclass(frozen=True, eq=False)
class Through:
    """A pure function of the value (core.values.derived), e.g. a search text's tsquery."""

    function: Callable[[Any], Any]

    def apply(self, value: Any) -> Any:
        return self.function(value)


Step = Strip | IdKey | CursorKey | Through


def replay(value: Any, steps: tuple[Step, ...]) -> Any:
    for step in steps:
        value = step.apply(value)
    return value


@dataclass(frozen=True)
class Guard:
    """`test(value after steps) == expected` for the value at `path`."""

    path: Path
    steps: tuple[Step, ...]
    test: Callable[[Any], Any]
    expected: Any


@dataclass
class Trace:
    """What one plan's build did with its traced values."""

    guards: list[Guard] = field(default_factory=list)
    tainted: set[Path] = field(default_factory=set)
    paths: set[Path] = field(default_factory=set)  # the values traced


_SA_PROBES = frozenset({"__clause_element__", "__sa_type_engine__"})


class Traced:
    """A variable's value standing for any value of its shape (see the module's doc)."""

    __slots__ = ("_path", "_steps", "_trace", "_value")

    def __init__(self, value: Any, path: Path, steps: tuple[Step, ...], trace: Trace) -> None:
        object.__setattr__(self, "_value", value)
        object.__setattr__(self, "_path", path)
        object.__setattr__(self, "_steps", steps)
        object.__setattr__(self, "_trace", trace)

    # isinstance(x, str) answers as for the value (the code reading it checks types so).
    @property  # type: ignore[misc]
    def __class__(self) -> type:
        return type(self._value)

    @property
    def value(self) -> Any:
        return self._value

    @property
    def path(self) -> Path:
        return self._path

    @property
    def steps(self) -> tuple[Step, ...]:
        return self._steps

    def derive(self, step: Step) -> Traced:
        """The value after `step`, traced; a request whose value `step` refuses is a miss."""
        steps = (*self._steps, step)
        self._trace.guards.append(Guard(self._path, steps, _always, True))
        return Traced(step.apply(self._value), self._path, steps, self._trace)

    def observe(self, test: Callable[[Any], Any]) -> Any:
        """`test` of the value, which the next request's value must give too."""
        result = test(self._value)
        self._trace.guards.append(Guard(self._path, self._steps, test, result))
        return result

    def taint(self) -> Tainted:
        self._trace.tainted.add(self._path)
        return Tainted(f"variable {'.'.join(self._path)} is read as a value")

    def through(self, function: Callable[[Any], Any]) -> Traced:
        """core.values.derived on a stand-in: the function is a step of the plan."""
        if not isinstance(self._value, str):
            raise self.taint()
        return self.derive(Through(function))

    def strip(self) -> Traced:
        if not isinstance(self._value, str):
            raise self.taint()
        return self.derive(Strip())

    def __bool__(self) -> bool:
        return bool(self.observe(bool))

    def __eq__(self, other: object) -> bool:
        if other is not None and not isinstance(other, str | int):
            raise self.taint()
        return bool(self.observe(lambda v: v == other))

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        raise self.taint()

    def __getattr__(self, name: str) -> Any:
        if name in _SA_PROBES:  # SQLAlchemy asks whether this is an expression
            if name == "__sa_type_engine__":
                return _LiteralType(self)
            raise AttributeError(name)
        raise self.taint()

    def __setattr__(self, name: str, value: Any) -> None:
        raise self.taint()

    def _refuse(self, *_: Any, **__: Any) -> Any:
        raise self.taint()

    __str__ = __repr__ = __format__ = __len__ = __iter__ = __contains__ = _refuse
    __getitem__ = __add__ = __radd__ = __mod__ = __rmod__ = __mul__ = __rmul__ = _refuse
    __lt__ = __le__ = __gt__ = __ge__ = __int__ = __float__ = __index__ = _refuse
    __bytes__ = __reduce__ = __reduce_ex__ = __copy__ = __deepcopy__ = _refuse


class _LiteralType:
    """The SQL type SQLAlchemy gives a literal of the value (it looks at the value: a
    guard)."""

    def __init__(self, traced: Traced) -> None:
        self.traced = traced

    def _resolve_for_literal(self, _: Any) -> Any:
        return self.traced.observe(sqltypes._resolve_value_to_type)


def _always(_: Any) -> bool:
    return True


# --------------------------------------------------------------- the variables' shape

TRACEABLE = (GraphQLString, GraphQLID)
_TRACED = ("s",)  # a traced value's part of a signature


def _traceable(type_: Any) -> Any:
    """True for a String or ID, a dict of such fields for an input object, else None."""
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    if type_ in TRACEABLE:
        return True
    if isinstance(type_, GraphQLInputObjectType):
        fields = {name: _traceable(f.type) for name, f in type_.fields.items()}
        return {name: t for name, t in fields.items() if t is not None} or None
    return None


@dataclass
class Variables:
    """Which of an operation's variables are traced (see the module's doc)."""

    traceable: dict[str, Any]
    max_string: int  # longer strings are refused by the front's limits: never traced
    untraced: set[Path] = field(default_factory=set)  # tainted once

    @classmethod
    def of(
        cls, schema: GraphQLSchema, operation: OperationDefinitionNode, max_string: int
    ) -> Variables:
        traceable = {}
        for definition in operation.variable_definitions or ():
            kind = _traceable(type_from_ast(schema, definition.type))
            if kind is not None:
                traceable[definition.variable.name.value] = kind
        return cls(traceable, max_string)

    def signature(self, variables: dict[str, Any]) -> tuple[Any, ...]:
        """What of the variables shapes the plan; raises TypeError for values JSON cannot
        hold (past orjson's depth)."""
        return tuple(
            (name, self._part(self.traceable.get(name), variables[name], (name,)))
            for name in sorted(variables)
        )

    def _part(self, kind: Any, value: Any, path: Path) -> Any:
        if kind is True and type(value) is str and path not in self.untraced:
            # A string the front's limits would refuse is keyed by value: it is checked.
            return _TRACED if len(value) <= self.max_string and "\x00" not in value else value
        if isinstance(kind, dict) and type(value) is dict:
            return tuple((k, self._part(kind.get(k), value[k], (*path, k))) for k in sorted(value))
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)

    def traced(self, coerced: VariableValues, given: dict[str, Any], trace: Trace) -> Any:
        """`coerced` (graphql-core's values) with every traced value of `given` (the
        request's) replaced by a Traced (one not found there becomes untraced)."""
        out = dict(coerced.coerced)
        for name in given:
            kind = self.traceable.get(name)
            if kind is not None and name in out:
                out[name] = self._trace(kind, given[name], out[name], (name,), trace)
        return coerced._replace(coerced=out)

    def _trace(self, kind: Any, given: Any, coerced: Any, path: Path, trace: Trace) -> Any:
        if self._part(kind, given, path) == _TRACED:
            if coerced != given:
                self.untraced.add(path)  # coerced otherwise than we read it: by value
                return coerced
            trace.paths.add(path)
            return Traced(coerced, path, (), trace)
        if isinstance(kind, dict) and type(given) is dict and isinstance(coerced, dict):
            out = dict(coerced)
            for k, v in given.items():
                if k in kind and k in out:
                    out[k] = self._trace(kind[k], v, out[k], (*path, k), trace)
                elif k in kind:
                    self.untraced.add((*path, k))
            return out
        return coerced


def read(variables: dict[str, Any], path: Path) -> Any:
    value: Any = variables
    for key in path:
        value = value[key]
    return value


# --------------------------------------------------------------- a plan's parameters


@dataclass(frozen=True)
class Slot:
    """A parameter read from each request: the value at `path`, after `steps`, through
    the driver's bind `process`."""

    path: Path
    steps: tuple[Step, ...]
    process: Callable[[Any], Any] | None

    def value(self, variables: dict[str, Any]) -> Any:
        value = replay(read(variables, self.path), self.steps)
        if self.process is not None:
            return self.process(value)
        return value.name if isinstance(value, enum.Enum) else value


def guards_hold(guards: tuple[Guard, ...], variables: dict[str, Any]) -> bool:
    try:
        return all(g.test(replay(read(variables, g.path), g.steps)) == g.expected for g in guards)
    except Exception:  # a value its test cannot even read (a bad cursor, say): no match,
        return False  # and the full build reports it as it would any request
