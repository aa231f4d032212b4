"""Signed, expiring access tokens for the supervisor dashboard (JWT, HS256, PyJWT).

Claims: ``sub`` (the user), ``role`` (agent | supervisor | manager | ops), ``teams`` and ``queues``
(lists of ids), ``iat`` and ``exp`` (seconds since the epoch). The clock is always passed in, so
expiry is testable without waiting; PyJWT's own expiry check (which reads the wall clock) is replaced
by ours.

The signing key: in AWS a Secrets Manager secret (``names.ENV_TOKEN_SECRET_ARN``) whose SecretString
is the key itself or a JSON object ``{"key": "..."}``; locally a file (``names.ENV_TOKEN_SECRET_FILE``)
holding the key. Keys shorter than 32 bytes are refused (HS256 is only as strong as its key).
"""

from __future__ import annotations

import json
import math
import secrets
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import jwt

from floorwatch.names import ENV_TOKEN_SECRET_ARN, ENV_TOKEN_SECRET_FILE
from floorwatch.security.roles import ROLES
from floorwatch.store.connections_port import Principal

ALGORITHM = "HS256"
MIN_KEY_BYTES = 32
DEFAULT_TTL = timedelta(hours=8)
CLOCK_SKEW = timedelta(seconds=30)  # tolerated when a token's iat is a little in our future
MAX_CLAIM_LENGTH = 200  # a user, team or queue id
MAX_CLAIM_ITEMS = 200  # teams or queues in one token


class TokenError(ValueError):
    """The token cannot be accepted; ``reason`` is a short machine-readable word."""

    reason = "invalid"


class TokenExpired(TokenError):
    reason = "expired"


class TokenBadSignature(TokenError):
    reason = "bad_signature"


class TokenMalformed(TokenError):
    reason = "malformed"


class TokenUnknownRole(TokenError):
    reason = "unknown_role"


class SigningKeyError(RuntimeError):
    """No usable signing key could be loaded (configuration problem, not the client's fault)."""


def mint(
    key: str,
    *,
    user: str,
    role: str,
    now: datetime,
    teams: Iterable[str] = (),
    queues: Iterable[str] = (),
    ttl: timedelta = DEFAULT_TTL,
) -> str:
    """A token for ``user`` valid from ``now`` for ``ttl``."""
    _check_key(key)
    if role not in ROLES:
        raise TokenUnknownRole(f"role '{role}' is not one of {', '.join(sorted(ROLES))}")
    if not user:
        raise ValueError("a token needs a user")
    if ttl <= timedelta(0):
        raise ValueError("a token's time to live must be positive")
    issued = int(now.timestamp())
    claims = {
        "sub": user,
        "role": role,
        "teams": sorted(set(teams)),
        "queues": sorted(set(queues)),
        "iat": issued,
        "exp": issued + int(ttl.total_seconds()),
    }
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def verify(key: str, token: str, now: datetime) -> Principal:
    """The principal a valid token speaks for; raises a TokenError subclass naming the problem."""
    _check_key(key)
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            options={"verify_exp": False, "verify_iat": False, "require": ["sub", "role", "iat", "exp"]},
        )
    except jwt.InvalidSignatureError:
        raise TokenBadSignature("the token's signature does not match (signed with another key?)") from None
    except jwt.InvalidTokenError as error:
        raise TokenMalformed(f"the token is not a valid floorwatch token: {error}") from None
    return _principal(claims, now)


def _principal(claims: Mapping[str, Any], now: datetime) -> Principal:
    exp, iat = _instant(claims, "exp"), _instant(claims, "iat")
    instant = now.timestamp()
    if instant >= exp:
        expired_at = datetime.fromtimestamp(exp, now.tzinfo).isoformat()
        raise TokenExpired(f"the token expired at {expired_at}; mint a new one")
    if iat > instant + CLOCK_SKEW.total_seconds():
        raise TokenMalformed("the token was issued in the future")
    role = claims["role"]
    if not isinstance(role, str):  # a list is unhashable: checked before the membership test
        raise TokenMalformed("the token's role must be a string")
    if role not in ROLES:
        raise TokenUnknownRole(f"role '{role[:40]}' is not one of {', '.join(sorted(ROLES))}")
    user = claims["sub"]
    if not isinstance(user, str) or not user or len(user) > MAX_CLAIM_LENGTH:
        raise TokenMalformed(f"the token's sub (user) must be a string of 1 to {MAX_CLAIM_LENGTH} characters")
    return Principal(
        user=user,
        role=role,
        teams=_ids(claims, "teams"),
        queues=_ids(claims, "queues"),
        expires_at=int(exp),
    )


def _instant(claims: Mapping[str, Any], name: str) -> float:
    """A NumericDate claim: a finite number of seconds (bool, NaN and Infinity are not, and never expire)."""
    value = claims[name]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise TokenMalformed(f"the token's {name} must be a finite number of seconds since the epoch")
    return float(value)


def _ids(claims: Mapping[str, Any], name: str) -> tuple[str, ...]:
    values = claims.get(name, [])
    if not isinstance(values, list) or not all(
        isinstance(value, str) and 0 < len(value) <= MAX_CLAIM_LENGTH for value in values
    ):
        raise TokenMalformed(
            f"the token's {name} must be a list of strings of 1 to {MAX_CLAIM_LENGTH} characters"
        )
    if len(values) > MAX_CLAIM_ITEMS:
        raise TokenMalformed(f"the token's {name} may list at most {MAX_CLAIM_ITEMS} ids")
    return tuple(values)


def _check_key(key: str) -> None:
    if len(key.encode("utf-8")) < MIN_KEY_BYTES:
        raise SigningKeyError(f"the signing key must be at least {MIN_KEY_BYTES} bytes")


# --- where the key comes from ------------------------------------------------------------------------


def load_signing_key(environ: Mapping[str, str], secrets_client: Callable[[], Any] | None = None) -> str:
    """The key named by the environment: Secrets Manager ARN first, else the local file."""
    arn = environ.get(ENV_TOKEN_SECRET_ARN, "").strip()
    if arn:
        if secrets_client is None:
            raise SigningKeyError(f"{ENV_TOKEN_SECRET_ARN} is set but no Secrets Manager client was given")
        answer = secrets_client().get_secret_value(SecretId=arn)
        return key_from_secret_string(str(answer.get("SecretString") or ""))
    path = environ.get(ENV_TOKEN_SECRET_FILE, "").strip()
    if path:
        return read_key_file(Path(path))
    raise SigningKeyError(
        f"set {ENV_TOKEN_SECRET_ARN} (Secrets Manager secret) or {ENV_TOKEN_SECRET_FILE} (local key file)"
    )


def key_from_secret_string(text: str) -> str:
    """A SecretString is the key itself or a JSON object with a "key" member."""
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            stripped = str(json.loads(stripped)["key"]).strip()
        except (ValueError, KeyError, TypeError):
            raise SigningKeyError('the signing secret is JSON but has no "key" member') from None
    _check_key(stripped)
    return stripped


def read_key_file(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError as error:
        raise SigningKeyError(f"cannot read the signing key file {path}: {error.strerror}") from None
    _check_key(text)
    return text


def ensure_key_file(path: Path) -> str:
    """The key in ``path``, creating the file (mode 0600) with a random key if it does not exist."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.touch(mode=0o600)
        path.write_text(key + "\n", encoding="utf-8")
    return read_key_file(path)
