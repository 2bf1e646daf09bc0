"""Plans: one SQL statement with its parameters (to_plan), and the plans kept for every
request of a shape (Template, PlanCache; compiled.shapes says what a shape is)."""

from __future__ import annotations

import enum
import hashlib
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect

from compiled.shapes import Guard, Path, Slot, Trace, Traced, guards_hold, read
from core.context import Caller

DIALECT = asyncpg_dialect()
# What the plans may hold in all, whatever the requests: the characters of their SQL and
# parameters.
PLAN_CACHE_CHARS = 64_000_000


@dataclass(frozen=True)
class Plan:
    """One statement that answers an operation, and the operation's name for the logs."""

    sql: str
    params: tuple[Any, ...]
    operation: str


def to_plan(statement: Any, operation: str = "anonymous") -> Plan:
    """SQL text with $n placeholders and its parameters, as the asyncpg dialect sends them."""
    # Expanding IN lists are rendered into the text: the plan is for these exact inputs.
    compiled = statement.compile(dialect=DIALECT, compile_kwargs={"render_postcompile": True})
    processors = compiled._bind_processors
    values = compiled.construct_params()
    params = []
    for name in compiled.positiontup:
        value = values[name]
        process = processors.get(name)
        if process is not None:
            value = process(value)
        elif isinstance(value, enum.Enum):  # an expanded IN list's items: PostgreSQL enum labels
            value = value.name
        params.append(value)
    return Plan(compiled.string, tuple(params), operation)


PlanKey = tuple[bytes, str, str | None]


@dataclass
class Template:
    """A plan for every request of one shape: `params` hold constants and `Slot`s (read
    from each request's variables), `guards` what the request's values must meet.

    It is trusted once a plan built from another request's real values came out the same
    for every traced variable (`verified`): until then the view's path answers with that
    build, and the fast lane does not use it."""

    sql: str
    params: tuple[Any, ...]
    operation: str
    guards: tuple[Guard, ...]
    sample: dict[Path, Any]  # the traced values it was built from
    verified: set[Path] = field(default_factory=set)

    @property
    def trusted(self) -> bool:
        return self.verified >= self.sample.keys()

    def usable(self, variables: dict[str, Any]) -> bool:
        """Trusted, or these are the values it was built from (and checked against)."""
        if self.trusted:
            return True
        return all(read(variables, p) == v for p, v in self.sample.items())

    def matches(self, variables: dict[str, Any]) -> bool:
        return guards_hold(self.guards, variables)

    def bind(self, variables: dict[str, Any]) -> Plan | None:
        try:
            params = tuple(p.value(variables) if type(p) is Slot else p for p in self.params)
        except Exception:  # a value its steps cannot take: the full build decides
            return None
        return Plan(self.sql, params, self.operation)

    def verify(self, real: Plan, variables: dict[str, Any]) -> bool:
        """Whether `real` (built from these variables' values) is this plan bound to them;
        the traced values that differ from the sample are then verified."""
        if self.bind(variables) != real:
            return False
        self.verified |= {p for p, v in self.sample.items() if read(variables, p) != v}
        return True

    @property
    def chars(self) -> int:
        params = sum(len(p) if isinstance(p, str | bytes) else 8 for p in self.params)
        return len(self.sql) + params + sum(len(str(v)) for v in self.sample.values())


def to_template(statement: Any, operation: str, trace: Trace) -> Template:
    """As to_plan, with the traced values as Slots (Tainted when one cannot be)."""
    compiled = statement.compile(dialect=DIALECT, compile_kwargs={"render_postcompile": True})
    processors = compiled._bind_processors
    values = compiled.construct_params()
    params: list[Any] = []
    for name in compiled.positiontup:
        value, process = values[name], processors.get(name)
        if type(value) is Traced:
            params.append(Slot(value.path, value.steps, process))
            continue
        if isinstance(value, list | tuple) and any(type(v) is Traced for v in value):
            raise next(v for v in value if type(v) is Traced).taint()
        if process is not None:
            value = process(value)
        elif isinstance(value, enum.Enum):
            value = value.name
        params.append(value)
    guards = tuple(trace.guards)
    return Template(compiled.string, tuple(params), operation, guards, {})


class PlanCache:
    """Plans by everything that shapes them: the document, the operation, the shape of the
    variables (compiled.shapes) and the caller's role and region (personal data masking
    is built in); several plans under one key differ by their guards.

    The key holds a BLAKE2b digest, not the document, and the plans in all hold at most
    `budget` characters: memory stays bounded whatever is sent.
    """

    def __init__(self, size: int = 4096, budget: int = PLAN_CACHE_CHARS) -> None:
        self.size = size
        self.budget = budget
        self.held = 0
        self.count = 0  # plans kept
        self.built = 0  # plans made (tests count them)
        self.entries: OrderedDict[PlanKey, list[Template]] = OrderedDict()

    @staticmethod
    def key(document: bytes, signature: tuple[Any, ...], caller: Caller) -> PlanKey:
        digest = hashlib.blake2b(document, digest_size=32)
        digest.update(repr(signature).encode("utf-8", "surrogatepass"))
        return (digest.digest(), caller.role, caller.region_code)

    def get(self, key: PlanKey) -> list[Template]:
        plans = self.entries.get(key)
        if plans is None:
            return []
        self.entries.move_to_end(key)
        return plans

    def add(self, key: PlanKey, template: Template) -> None:
        self.entries.setdefault(key, []).append(template)
        self.held += template.chars
        self.count += 1
        self.built += 1
        while self.entries and (self.count > self.size or self.held > self.budget):
            self.drop(next(iter(self.entries)))

    def drop(self, key: PlanKey) -> None:
        for template in self.entries.pop(key, ()):
            self.held -= template.chars
            self.count -= 1
