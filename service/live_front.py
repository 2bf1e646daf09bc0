"""The front of the WebSocket surface (graphql-transport-ws), bounded like the HTTP one
(service.body_limits, service.input_checks): a frame is decoded only within the GraphQL
body limit and orjson's depth, only an object is a message, a subscribe message must have
the protocol's shape, and a document over the size or token limit is answered with an
`error` message carrying its code before anything parses it. Without this, one anonymous
frame (a JSON array, objects nested 3,000 deep) crashed the connection handler, and an
over-limit document was answered with a bare `complete` and a stack in the log."""

from __future__ import annotations

import json
from typing import Any

import orjson
from graphql import GraphQLError
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)

from core.settings import Settings
from service.front.budgets import TOKEN_COUNT_REACH, token_limit_error
from service.input_checks import check_document_size, count_tokens

# graphql-transport-ws: the server closes with 4400 on a message it cannot read.
BAD_MESSAGE = 4400


def decode_frame(text: str | bytes, max_bytes: int) -> object:
    """A frame's message, or json.JSONDecodeError (strawberry closes with 4400 on that):
    too large, not JSON, nested past orjson's depth, or not an object."""
    if len(text) > max_bytes:
        raise json.JSONDecodeError(f"the message is larger than {max_bytes} bytes", "", 0)
    message = orjson.loads(text)  # orjson.JSONDecodeError is a json.JSONDecodeError
    if not isinstance(message, dict):
        raise json.JSONDecodeError("a message is a JSON object", "", 0)
    return message


def document_refusal(query: str, settings: Settings) -> GraphQLError | None:
    """The refusal of a document the HTTP front would refuse before parsing, else None."""
    too_large = check_document_size(query, settings.max_document_bytes)
    if too_large is not None:
        return too_large
    limit = settings.max_tokens
    reach = limit * TOKEN_COUNT_REACH
    tokens = count_tokens(query, stop_after=reach)
    if tokens > limit:
        return token_limit_error(min(tokens, reach), limit, at_least=tokens > reach)
    return None


class GuardedTransportWS(BaseGraphQLTransportWSHandler[Any, None]):
    """strawberry's graphql-transport-ws handler with the front's checks in front of it."""

    async def handle_subscribe(self, message: Any) -> None:
        payload = message.get("payload")
        if (
            not isinstance(message.get("id"), str)
            or not isinstance(payload, dict)
            or not isinstance(payload.get("query"), str)
            or not isinstance(payload.get("variables") or {}, dict)
            or not isinstance(payload.get("operationName") or "", str)
        ):
            await self.websocket.close(
                code=BAD_MESSAGE,
                reason="A subscribe message needs a string id and a payload with a query string.",
            )
            return
        settings: Settings = self.view.settings  # type: ignore[attr-defined]
        refused = document_refusal(payload["query"], settings)
        # Unacknowledged connections and taken ids are the protocol's to close (super()).
        if (
            refused is not None
            and self.connection_acknowledged
            and message["id"] not in self.operations
        ):
            await self.send_message(
                {"id": message["id"], "type": "error", "payload": [refused.formatted]}
            )
            return
        await super().handle_subscribe(message)
