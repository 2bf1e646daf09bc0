"""Answers to repeated reads straight from their cached plans, ahead of the GraphQL view.

Once the compiled path has planned a request's shape (the same document, operation, shape
of the variables, role and region: compiled.shapes), answering any request of that shape,
whatever its values, needs one prepared statement and the bytes sent back: the GraphQL
view, its context and its response cost several times that. No document is parsed here. This lane sits on the /graphql route
behind the authentication (service.auth.bearer_auth: the caller, its token checked, is in
the scope) and reads the body from the one buffer BodyLimitMiddleware keeps; the
middleware around it logs, counts and traces its answers like any other. Anything else
(no plan yet, the database gone) goes on to the view unchanged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.types import ASGIApp, Receive, Scope, Send

from core.context import Context
from db.engine import counting_statements, statement_count
from db.faults import is_unavailable
from service.auth import CallerUser
from service.body_limits import buffered_body
from service.observability import current_request

if TYPE_CHECKING:
    from service.app import RegistryGraphQL


class FastLane:
    def __init__(self, app: ASGIApp, graphql: RegistryGraphQL) -> None:
        self.app = app
        self.graphql = graphql

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._eligible(scope):
            await self.app(scope, receive, send)
            return
        with counting_statements():  # the request's own counter, the token's lookup in it
            answer = await self._answer(scope)
            counted = statement_count.get()
        if answer is None:
            await self.app(scope, receive, send)
            return
        data, operation = answer
        info = current_request.get()
        if info is not None:
            info.operation, info.operation_type = operation, "query"
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(data)).encode()),
            (b"x-sql-statements", str(counted[0] if counted else 0).encode()),
            (b"x-registry-plan", b"cached"),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": data})

    @staticmethod
    def _eligible(scope: Scope) -> bool:
        if scope["type"] != "http" or scope["method"] != "POST":
            return False
        headers = dict(scope["headers"])
        content_type = headers.get(b"content-type", b"")
        return content_type.startswith(b"application/json") and b"x-registry-path" not in headers

    async def _answer(self, scope: Scope) -> tuple[bytes, str] | None:
        """The answer from the request's cached plan, or None for the view to answer."""
        body, user = buffered_body(scope), scope.get("user")
        if body is None or not isinstance(user, CallerUser):
            return None
        compiled = self.graphql.compiled
        plan = compiled.find(body, user.caller)
        if plan is None:
            return None  # counted as a hit or a miss by the view's compiled path
        compiled.counted(True)
        db = self.graphql.database()
        try:
            data = await compiled.execute(plan, Context(self.graphql.settings, db, user.caller))
            return data, plan.operation
        except Exception as exc:
            if is_unavailable(exc):
                return None  # the view's path answers 503 with Retry-After
            raise
        finally:
            await db.close()
