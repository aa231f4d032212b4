"""Tokens: mint / verify round trip, expiry by the injected clock, refused signatures, roles, key sources."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from floorwatch.names import ENV_TOKEN_SECRET_ARN, ENV_TOKEN_SECRET_FILE
from floorwatch.security.tokens import (
    SigningKeyError,
    TokenBadSignature,
    TokenExpired,
    TokenMalformed,
    TokenUnknownRole,
    ensure_key_file,
    key_from_secret_string,
    load_signing_key,
    mint,
    verify,
)
from floorwatch.store.connections_port import Principal

KEY = "k" * 40
OTHER_KEY = "o" * 40
T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def test_round_trip_gives_the_principal() -> None:
    token = mint(KEY, user="ana", role="supervisor", teams=["tech", "billing"], queues=["vip"], now=T0)
    assert verify(KEY, token, T0 + timedelta(hours=1)) == Principal(
        user="ana",
        role="supervisor",
        teams=("billing", "tech"),
        queues=("vip",),
        expires_at=int((T0 + timedelta(hours=8)).timestamp()),
    )


def test_expiry_is_judged_by_the_given_clock() -> None:
    token = mint(KEY, user="ana", role="manager", now=T0, ttl=timedelta(minutes=30))
    assert verify(KEY, token, T0 + timedelta(minutes=29, seconds=59)).user == "ana"
    with pytest.raises(TokenExpired, match="expired at 2026-11-30T09:30:00"):
        verify(KEY, token, T0 + timedelta(minutes=30))


def test_another_key_is_a_bad_signature() -> None:
    token = mint(KEY, user="ana", role="manager", now=T0)
    with pytest.raises(TokenBadSignature, match="signature"):
        verify(OTHER_KEY, token, T0)


def test_garbage_and_other_algorithms_are_malformed() -> None:
    with pytest.raises(TokenMalformed):
        verify(KEY, "not-a-token", T0)
    unsigned = jwt.encode({"sub": "ana", "role": "manager", "iat": 0, "exp": 2**40}, "", algorithm="none")
    with pytest.raises(TokenMalformed):
        verify(KEY, unsigned, T0)
    missing_role = jwt.encode({"sub": "ana", "iat": 0, "exp": 2**40}, KEY, algorithm="HS256")
    with pytest.raises(TokenMalformed, match="role"):
        verify(KEY, missing_role, T0)
    bad_teams = jwt.encode(
        {"sub": "ana", "role": "supervisor", "teams": "billing", "iat": 0, "exp": 2**40}, KEY, "HS256"
    )
    with pytest.raises(TokenMalformed, match="teams"):
        verify(KEY, bad_teams, T0)


def test_unknown_role_is_refused_when_minting_and_verifying() -> None:
    with pytest.raises(TokenUnknownRole, match="'admin'"):
        mint(KEY, user="ana", role="admin", now=T0)
    forged = jwt.encode(
        {"sub": "ana", "role": "admin", "iat": int(T0.timestamp()), "exp": int(T0.timestamp()) + 60},
        KEY,
        algorithm="HS256",
    )
    with pytest.raises(TokenUnknownRole):
        verify(KEY, forged, T0)


def test_token_from_the_future_is_refused() -> None:
    token = mint(KEY, user="ana", role="manager", now=T0 + timedelta(hours=1))
    with pytest.raises(TokenMalformed, match="future"):
        verify(KEY, token, T0)


def test_short_keys_are_refused() -> None:
    with pytest.raises(SigningKeyError, match="32 bytes"):
        mint("short", user="ana", role="manager", now=T0)


class FakeSecrets:
    def __init__(self, value: str) -> None:
        self.value = value
        self.asked: list[str] = []

    def get_secret_value(self, SecretId: str) -> dict[str, Any]:
        self.asked.append(SecretId)
        return {"SecretString": self.value}


def test_key_from_secrets_manager_plain_or_json() -> None:
    plain = FakeSecrets(KEY)
    assert load_signing_key({ENV_TOKEN_SECRET_ARN: "arn:secret"}, lambda: plain) == KEY
    assert plain.asked == ["arn:secret"]
    wrapped = FakeSecrets(json.dumps({"key": OTHER_KEY}))
    assert load_signing_key({ENV_TOKEN_SECRET_ARN: "arn:secret"}, lambda: wrapped) == OTHER_KEY
    with pytest.raises(SigningKeyError, match='"key"'):
        key_from_secret_string('{"other": 1}')


def test_key_from_file_and_missing_configuration(tmp_path: Path) -> None:
    path = tmp_path / "key"
    path.write_text(KEY + "\n")
    assert load_signing_key({ENV_TOKEN_SECRET_FILE: str(path)}) == KEY
    with pytest.raises(SigningKeyError, match="cannot read"):
        load_signing_key({ENV_TOKEN_SECRET_FILE: str(tmp_path / "absent")})
    with pytest.raises(SigningKeyError, match=ENV_TOKEN_SECRET_ARN):
        load_signing_key({})


def test_ensure_key_file_creates_a_private_key_once(tmp_path: Path) -> None:
    path = tmp_path / "dir" / "token-secret"
    first = ensure_key_file(path)
    assert len(first) >= 32
    assert path.stat().st_mode & 0o077 == 0
    assert ensure_key_file(path) == first
