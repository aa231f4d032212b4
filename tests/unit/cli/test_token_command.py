"""`floorwatch token`: prints a token the same key file verifies, with the asked role and coverage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from floorwatch.security.tokens import read_key_file, verify
from floorwatch.store.connections_port import Principal

from local.cli import main


def test_token_command_mints_a_verifiable_token(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key_file = tmp_path / "key"
    status = main(
        [
            "token",
            "--role",
            "supervisor",
            "--user",
            "ana",
            "--teams",
            "billing, tech",
            "--queues",
            "vip",
            "--ttl",
            "2h",
            "--secret-file",
            str(key_file),
        ]
    )
    out = capsys.readouterr()
    assert status == 0
    token = out.out.strip()
    now = datetime.now(UTC)
    principal = verify(read_key_file(key_file), token, now)
    assert principal.expires_at is not None
    assert abs(principal.expires_at - (now + timedelta(hours=2)).timestamp()) < 60
    assert principal == Principal("ana", "supervisor", ("billing", "tech"), ("vip",), principal.expires_at)
    assert "valid until" in out.err
    with pytest.raises(ValueError, match="expired"):
        verify(read_key_file(key_file), token, now + timedelta(hours=2, minutes=1))


def test_token_command_refuses_bad_ttl_and_role(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = str(tmp_path / "key")
    assert main(["token", "--role", "manager", "--user", "mo", "--ttl", "8", "--secret-file", key]) == 2
    assert "--ttl" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["token", "--role", "admin", "--user", "mo", "--secret-file", key])
    assert exit_info.value.code == 2
