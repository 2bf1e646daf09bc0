"""Bearer tokens: signed JWTs naming a subject, a role and (for editors) a region.

No token means the anonymous caller; a bad, expired, malformed or revoked token is refused
with 401 so that a client never silently falls back to anonymous access. Every token has
an id (jti), by which it is revoked; a revocation holds on every process within a second
(`is_revoked`, `_Revocations`).

The rule is stated here once and every HTTP surface has it run ahead of itself, by
Starlette's AuthenticationMiddleware with `BearerTokens` as its backend (`bearer_auth()`,
on each route that takes a token: /graphql with its fast lane, the CSV reports, exports
and imports; /healthz, /metrics and static files take none): the token, then its
revocation, give the Caller, which the route reads from the request's scope
(`request_caller()`); a refused token (AuthError, a stable `code` and a sentence safe to
show) is the one 401 answer of `unauthenticated()` (`WWW-Authenticate: Bearer`, the code in
the body: GraphQL's error list for /graphql, `{"error", "code"}` for the other routes).
Subscriptions authenticate in connection_init, which no HTTP middleware sees, with the
same `authenticate()` and send the same code and sentence as a GraphQL error
(service.live).
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import jwt
from starlette.authentication import (
    AuthCredentials,
    AuthenticationBackend,
    AuthenticationError,
    BaseUser,
)
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse, Response

from core.codes import Code
from core.context import Caller
from core.settings import Settings
from db.session import RequestDatabase

ROLES = ("viewer", "editor", "admin")
ALGORITHM = "HS256"


class AuthError(AuthenticationError):
    """A token that cannot be accepted; the message is safe to show, the code is stable."""

    code = Code.UNAUTHENTICATED


def unauthenticated(refused: AuthError, *, graphql: bool = False) -> JSONResponse:
    """The 401 of every HTTP surface: GraphQL's error list on /graphql, `{"error", "code"}`
    on the other routes (each surface's body as its clients know it)."""
    if graphql:
        body: dict[str, object] = {
            "errors": [{"message": str(refused), "extensions": {"code": refused.code}}]
        }
    else:
        body = {"error": str(refused), "code": refused.code}
    return JSONResponse(body, status_code=401, headers={"WWW-Authenticate": "Bearer"})


def secret(settings: Settings) -> str:
    """The signing secret: configured, or one generated once and kept beside the data."""
    if settings.jwt_secret:
        return settings.jwt_secret
    path = Path(settings.data_dir).parent / "jwt-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def issue_token(
    settings: Settings,
    subject: str,
    role: str,
    region_code: str | None = None,
    ttl_seconds: int = 30 * 24 * 3600,
) -> str:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if role == "editor" and not region_code:
        raise ValueError("an editor token needs a region code")
    now = int(time.time())
    claims = {
        "sub": subject,
        "role": role,
        "region": region_code,
        "iat": now,
        "exp": now + ttl_seconds,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, secret(settings), algorithm=ALGORITHM)


def caller_from_header(settings: Settings, authorization: str | None) -> Caller:
    if not authorization:
        return Caller()
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("Use the header 'Authorization: Bearer <token>'.")
    try:
        claims = jwt.decode(
            token.strip(),
            secret(settings),
            algorithms=[ALGORITHM],
            options={"require": ["sub", "role", "exp"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise AuthError("The token has expired; ask for a new one.") from exc
    except jwt.InvalidTokenError as exc:
        raise AuthError("The token is not valid (bad signature or malformed).") from exc
    role = claims.get("role")
    if role not in ROLES:
        raise AuthError(f"The token names an unknown role {role!r}.")
    region = claims.get("region")
    if region is not None and not (
        isinstance(region, str) and region.isascii() and region.isdigit()
    ):
        raise AuthError("The token's region must be a region code (digits).")
    if role == "editor" and not region:
        raise AuthError("An editor token must name a region.")
    if not isinstance(claims.get("jti"), str) or not claims["jti"]:
        # A token without an id could never be revoked.
        raise AuthError("The token has no id (jti); ask for a new one.")
    return Caller(
        subject=str(claims["sub"]),
        role=role,
        region_code=region,
        token_id=claims["jti"],
    )


# ---------------------------------------------------------------- revocation

REVOKED_MESSAGE = "The token has been revoked."
REVOCATION_CHANNEL = "registry_revocation"
REVOCATION_WINDOW = 1.0
# A trusted token is looked up again after this long all the same: a bound for a revocation
# written with triggers off (session_replication_role = replica), which notifies no one.
RECHECK_SECONDS = 60.0
MAX_KNOWN_TOKENS = 10_000


class _Revocations:
    """What this process knows of revocations, fed by its listener (service.listener.Broker).

    The window: a revoked token is refused on every process within REVOCATION_WINDOW
    (1 s), in practice a few milliseconds after the revocation commits. Revoking is an audit
    entry (action 'revokeToken'); its insert notifies REVOCATION_CHANNEL at commit
    (migration 0005, whichever writer made it), and each process's listener adds the token
    to `revoked` at once. A token found not revoked is trusted without a lookup only while
    the listener is proven to hear every revocation: the listener echoes a probe through
    PostgreSQL twice a second, and an echo proves that every notification committed before
    its probe was sent has arrived (PostgreSQL delivers them in commit order). So trust
    lasts REVOCATION_WINDOW past the last echoed probe, and ends at once when the listener
    connection is lost; from then on every request looks its token up in audit_log until
    the listener is back. A new listener connection starts a new epoch: what was trusted
    before it may have missed revocations sent while no one listened, so it is forgotten.
    A process that never listens (a test app without lifespan, a command) always looks up.
    """

    def __init__(self) -> None:
        self.revoked: set[str] = set()
        # token id -> (epoch, monotonic time until which the check stands)
        self.trusted: dict[str, tuple[int, float]] = {}
        self.epoch = 0
        self.trusted_until = float("-inf")  # proven by the last echoed probe

    def listening(self) -> int:
        """A listener has LISTENed on a new connection: a new epoch, nothing trusted yet."""
        self.epoch += 1
        self.trusted.clear()
        self.trusted_until = float("-inf")
        return self.epoch

    def lost(self) -> None:
        self.listening()

    def heard_up_to(self, epoch: int, probe_sent_at: float) -> None:
        """A probe sent at `probe_sent_at` (monotonic) came back through PostgreSQL."""
        if epoch == self.epoch:
            self.trusted_until = max(self.trusted_until, probe_sent_at + REVOCATION_WINDOW)

    def revoke(self, token_id: str) -> None:
        if len(self.revoked) >= MAX_KNOWN_TOKENS:
            # Forgotten ones are found again by a lookup: nothing may be trusted unlooked.
            self.revoked.clear()
            self.trusted.clear()
        self.revoked.add(token_id)
        self.trusted.pop(token_id, None)

    def trusts(self, token_id: str, now: float) -> bool:
        entry = self.trusted.get(token_id)
        return (
            entry is not None
            and entry[0] == self.epoch
            and now < entry[1]
            and now < self.trusted_until
        )

    def checked(self, token_id: str, epoch: int, now: float) -> None:
        """A lookup that began in `epoch` found the token not revoked."""
        if epoch != self.epoch or now >= self.trusted_until or token_id in self.revoked:
            return  # the listener changed (or is not proven), or it was revoked meanwhile
        if len(self.trusted) >= MAX_KNOWN_TOKENS:
            self.trusted.clear()
        self.trusted[token_id] = (epoch, now + RECHECK_SECONDS)


revocations = _Revocations()
_checked = revocations.trusted  # (older tests clear it; the same dict)

# One statement with no transaction around it: on the read pool when the request holds no
# connection yet, so a lookup never takes a connection that the request's writes would need.
_REVOKED_SQL = (
    "SELECT EXISTS (SELECT 1 FROM audit_log WHERE entity = 'Token' "
    "AND entity_id = $1 AND action = 'revokeToken')"
)


def listening() -> bool:
    """Whether this process is proven, right now, to hear every revocation."""
    return time.monotonic() < revocations.trusted_until


async def is_revoked(db: RequestDatabase, token_id: str | None) -> bool:
    """The one revocation check of every surface (GraphQL on both read paths and the fast
    lane, CSV, exports, imports, subscriptions); see _Revocations for the window."""
    if token_id is None:
        return False
    if token_id in revocations.revoked:
        return True
    now = time.monotonic()
    if revocations.trusts(token_id, now):
        return False
    epoch = revocations.epoch  # read first: a listener change during the lookup voids it
    if await db.fetch_value(_REVOKED_SQL, [token_id]):
        revocations.revoke(token_id)
        return True
    revocations.checked(token_id, epoch, now)
    return False


async def ensure_not_revoked(db: RequestDatabase, caller: Caller) -> Caller:
    """`caller` if its token still stands, else AuthError: the second half of authenticate()."""
    if await is_revoked(db, caller.token_id):
        raise AuthError(REVOKED_MESSAGE)
    return caller


async def authenticate(
    settings: Settings, db: RequestDatabase, authorization: str | None
) -> Caller:
    """The caller of a request's Authorization header, or AuthError (401) for a bad,
    expired or revoked token: token and revocation checked in one call. `db` is only
    used (one lookup at most) for a token the listener has not vouched for."""
    return await ensure_not_revoked(db, caller_from_header(settings, authorization))


def token_id(settings: Settings, token: str) -> str:
    """The id (jti) of a token this service signed, expired or not."""
    claims = jwt.decode(
        token, secret(settings), algorithms=[ALGORITHM], options={"verify_exp": False}
    )
    if not isinstance(claims.get("jti"), str) or not claims["jti"]:
        raise jwt.MissingRequiredClaimError("jti")
    return claims["jti"]


# ---------------------------------------------------------------- the middleware


class CallerUser(BaseUser):
    """Starlette's user of a request: the Caller its token names (anonymous without one)."""

    def __init__(self, caller: Caller) -> None:
        self.caller = caller

    @property
    def is_authenticated(self) -> bool:
        return self.caller.role != "anonymous"

    @property
    def display_name(self) -> str:
        return self.caller.subject


class BearerTokens(AuthenticationBackend):
    """The token and then its revocation, once per request, ahead of the route."""

    def __init__(self, settings: Settings, database: Callable[[], RequestDatabase]) -> None:
        self.settings = settings
        self.database = database

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser]:
        caller = caller_from_header(self.settings, conn.headers.get("authorization"))
        if caller.token_id is not None:
            db = self.database()  # (a connection only for a lookup the listener cannot spare)
            try:
                await ensure_not_revoked(db, caller)
            finally:
                await db.close()
        return AuthCredentials([caller.role]), CallerUser(caller)


def bearer_auth(
    settings: Settings, database: Callable[[], RequestDatabase], *, graphql: bool = False
) -> Middleware:
    """The authentication of a route (Route(..., middleware=[bearer_auth(...)]))."""

    def refuse(_: HTTPConnection, refused: AuthenticationError) -> Response:
        assert isinstance(refused, AuthError)
        return unauthenticated(refused, graphql=graphql)

    return Middleware(
        AuthenticationMiddleware, backend=BearerTokens(settings, database), on_error=refuse
    )


def request_caller(conn: HTTPConnection) -> Caller:
    """The caller bearer_auth found for this request."""
    user = conn.scope.get("user")
    if not isinstance(user, CallerUser):
        raise RuntimeError("the route is served without bearer_auth()")
    return user.caller
