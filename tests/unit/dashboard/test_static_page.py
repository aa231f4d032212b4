"""Checks on the dashboard's static files that need no browser: it loads nothing from the network,
every file it names exists, and every element the script looks up is in the page.
(How the page behaves is tested in a real browser: tests/e2e/test_browser.py.)
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

DASHBOARD = Path(__file__).resolve().parents[3] / "dashboard"
FILES = ("index.html", "app.js", "styles.css")


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.references: list[str] = []
        self.controls: list[tuple[str, dict[str, str | None]]] = []
        self.meta: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids.add(str(attributes["id"]))
        for name in ("src", "href"):
            value = attributes.get(name)
            if value and not value.startswith("#") and tag != "a":
                self.references.append(value)
        if "data-action" in attributes:
            self.controls.append((tag, attributes))
        if tag == "meta":
            self.meta.append(attributes)


def parse_page() -> _Page:
    page = _Page()
    page.feed((DASHBOARD / "index.html").read_text(encoding="utf-8"))
    return page


def test_the_page_loads_nothing_from_the_network() -> None:
    for name in FILES:
        text = (DASHBOARD / name).read_text(encoding="utf-8")
        assert not re.findall(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text, re.IGNORECASE), name
        assert "@import" not in text, name


def test_every_file_the_page_names_exists_and_is_relative() -> None:
    references = parse_page().references
    assert "app.js" in references and "styles.css" in references
    for reference in references:
        if reference.startswith("data:"):
            continue
        assert not reference.startswith("/"), f"{reference}: relative, so the page works under any path (S3)"
        assert (DASHBOARD / reference).is_file(), reference


def test_every_element_the_script_looks_up_is_in_the_page() -> None:
    script = (DASHBOARD / "app.js").read_text(encoding="utf-8")
    looked_up = set(re.findall(r"\$\('([A-Za-z0-9_-]+)'\)", script))
    looked_up |= set(re.findall(r"'((?:announcer|filter)[A-Za-z0-9_-]*)'", script))
    assert looked_up, "the pattern no longer finds the script's look-ups"
    assert looked_up - parse_page().ids == set()


def test_alert_actions_are_real_buttons_except_the_join_link() -> None:
    controls = {
        str(attributes["data-action"]): (tag, attributes) for tag, attributes in parse_page().controls
    }
    assert set(controls) == {"ack", "join", "note", "escalate", "snooze", "resolve", "feedback"}
    for action, (tag, attributes) in controls.items():
        if action == "join":
            assert tag == "a" and attributes.get("rel") == "noopener noreferrer"
        else:
            assert tag == "button" and attributes.get("type") == "button", action


def test_a_content_security_policy_keeps_scripts_to_the_page_itself() -> None:
    policies = [
        m.get("content") or "" for m in parse_page().meta if m.get("http-equiv") == "Content-Security-Policy"
    ]
    assert len(policies) == 1
    assert "script-src 'self'" in policies[0]
    assert "unsafe-inline" not in policies[0]
