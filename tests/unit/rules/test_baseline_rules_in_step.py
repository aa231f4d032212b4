"""The shipped baseline rules are the default rules plus `baseline:` blocks: a change to one file that
is not made to the other (a new rule, an action text, a tier) fails here."""

from __future__ import annotations

from importlib import resources

from floorwatch.rules.config import load_rules


def test_baseline_rules_are_the_default_rules_plus_baselines() -> None:
    folder = resources.files("floorwatch.rules")
    default = load_rules(str(folder.joinpath("default_rules.yaml")))
    learned = load_rules(str(folder.joinpath("baseline_rules.yaml")))
    assert [rule.id for rule in learned.rules] == [rule.id for rule in default.rules]
    with_baselines = 0
    for plain, adaptive in zip(default.rules, learned.rules, strict=True):
        compared = adaptive
        if getattr(adaptive, "baseline", None) is not None and getattr(plain, "baseline", None) is None:
            with_baselines += 1
            compared = adaptive.model_copy(update={"baseline": None})
        assert compared == plain, f"{plain.id} differs beyond its baseline block"
    assert with_baselines >= 5  # the queue rules learn their normal
