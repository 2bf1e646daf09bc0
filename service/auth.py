"""Bearer tokens: signed JWTs naming a subject, a role and (for editors) a region.

No token means the anonymous caller; a bad, expired or malformed token is refused with
401 so that a client never silently falls back to anonymous access.
"""

from __future__ import annotations

import secrets
import time
import uuid
from pathlib import Path

import jwt
from sqlalchemy import text

from db.session import RequestDatabase
from service.context import Caller
from service.settings import Settings

ROLES = ("viewer", "editor", "admin")
ALGORITHM = "HS256"


class AuthError(Exception):
    """A token that cannot be accepted; the message is safe to show."""


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
    if role == "editor" and not claims.get("region"):
        raise AuthError("An editor token must name a region.")
    return Caller(
        subject=str(claims["sub"]),
        role=role,
        region_code=claims.get("region"),
        token_id=claims.get("jti"),
    )


# Revoking a token is a write like any other: an audit entry names its id. A token seen
# not to be revoked is trusted for REVOCATION_TTL seconds, so a revocation takes effect on
# every worker within that time without a lookup on each request.
REVOCATION_TTL = 30.0
_checked: dict[str, float] = {}


async def is_revoked(db: RequestDatabase, token_id: str | None) -> bool:
    if token_id is None:
        return False
    now = time.monotonic()
    if _checked.get(token_id, 0.0) > now:
        return False
    revoked = await db.execute(
        text(
            "SELECT EXISTS (SELECT 1 FROM audit_log WHERE entity = 'Token' "
            "AND entity_id = :jti AND action = 'revokeToken')"
        ),
        {"jti": token_id},
    )
    if revoked.scalar_one():
        return True
    if len(_checked) > 10_000:
        _checked.clear()
    _checked[token_id] = now + REVOCATION_TTL
    return False


def token_id(settings: Settings, token: str) -> str:
    """The id (jti) of a token this service signed, expired or not."""
    claims = jwt.decode(
        token, secret(settings), algorithms=[ALGORITHM], options={"verify_exp": False}
    )
    return str(claims["jti"])
