"""The per-request context: settings, the caller, the database handle and lazy loaders."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from core.settings import Settings

if TYPE_CHECKING:  # core stands below db: the handle's type only, never its module
    from db.session import RequestDatabase

LoaderT = TypeVar("LoaderT")


@dataclass
class Caller:
    """Who is asking. Anonymous until authentication says otherwise."""

    subject: str = "anonymous"
    role: str = "anonymous"
    region_code: str | None = None
    token_id: str | None = None


class LiveEvents(Protocol):
    """Where a subscription's events come from (service.live over WebSocket): the row ids of
    each notification on `channel` that `accept` takes, for as long as the caller's token
    stands; raises a GraphQLError when the stream ends (token revoked, events lost)."""

    def ids(
        self, context: Context, channel: str, accept: Callable[[dict[str, Any]], bool]
    ) -> AsyncIterator[list[int]]: ...


@dataclass
class Context:
    settings: Settings
    db: RequestDatabase
    caller: Caller = field(default_factory=Caller)
    # Only a WebSocket connection has them: the schema's subscriptions read through it.
    events: LiveEvents | None = None
    # Loaders are built on first use: most requests need only a few of them.
    _loaders: dict[type, Any] = field(default_factory=dict)

    def loader(self, loader_class: type[LoaderT]) -> LoaderT:
        found = self._loaders.get(loader_class)
        if found is None:
            found = self._loaders[loader_class] = loader_class(self)  # type: ignore[call-arg]
        return found

    def clear_loaders(self) -> None:
        """Forget everything loaded so far (after a write)."""
        self._loaders.clear()
