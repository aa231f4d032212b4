from floorwatch.metrics import catalog as c
from floorwatch.metrics.catalog import CATALOG, MetricKind, known_metrics, metric
from floorwatch.metrics.model import ScopeKind

STORED = set(c.COUNTER_FIELDS) | set(c.LATEST_FIELDS)


def test_every_metric_is_derived_from_fields_the_fold_stores() -> None:
    for definition in CATALOG.values():
        assert definition.derived_from, definition.name
        assert set(definition.derived_from) <= STORED, definition.name


def test_each_kind_names_what_its_window_reads() -> None:
    for definition in CATALOG.values():
        if definition.kind in (MetricKind.RATIO, MetricKind.AVERAGE, MetricKind.GAUGE_SHARE):
            assert definition.numerator and definition.denominator, definition.name
        elif definition.kind is MetricKind.COUNTER:
            assert definition.numerator and not definition.denominator, definition.name
        else:
            assert definition.latest, definition.name
        assert (definition.state is not None) == (definition.kind is MetricKind.DURATION_IN_STATE)


def test_known_metrics_lists_names_and_scopes_for_rule_validation() -> None:
    known = known_metrics()
    assert known["service_level"] == {ScopeKind.CENTER, ScopeKind.QUEUE}
    assert known["longest_wait_seconds"] == {ScopeKind.CENTER, ScopeKind.QUEUE}
    assert known["agent_on_hold_seconds"] == {ScopeKind.AGENT}
    assert known["feed_staleness_seconds"] == {ScopeKind.FEED}
    assert ScopeKind.CONTACT in known["sentiment"]
    assert set(known) == set(CATALOG)
    known["service_level"].add(
        ScopeKind.AGENT
    )  # callers get copies: the catalog cannot be edited through them
    assert ScopeKind.AGENT not in known_metrics()["service_level"]


def test_metric_lookup_names_the_unknown_metric() -> None:
    assert metric("abandon_rate").kind is MetricKind.RATIO
    try:
        metric("abandon_ratio")
    except KeyError as error:
        assert "abandon_ratio" in str(error)
    else:
        raise AssertionError("unknown metric accepted")
