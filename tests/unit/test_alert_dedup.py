"""Deduplication: an alert is sent when new, when it changes band or severity, once when resolved, and
retried on the channels that failed; never repeated while the same condition persists."""

from orchestration.lib.alerting.rules import Alert, Coverage, Event, HistoryEntry, decide, to_send

CHANNELS = ("webhook", "email")
WINDOW = frozenset({"2026-01", "2026-02"})
COVERAGE = Coverage(
    scopes=frozenset({("over_budget", "2026-01"), ("over_budget", "2026-02")}),
    keys=frozenset({"data_quality|marts/fct_x|unique_key"}),
    windows={"over_budget": WINDOW},
)


def over_budget(band: int, severity: str = "warning", period: str = "2026-02") -> Alert:
    return Alert(
        "over_budget",
        period,
        "BL-SEARCH",
        severity,
        f"BL-SEARCH over budget in {period}",
        f"band {band}",
        ("band", band),
    )


def history_of(alert: Alert, state: str = "open", pending: tuple[str, ...] = (), last_event: str = "new"):
    entry = HistoryEntry(
        alert.key,
        alert.condition,
        alert.scope,
        alert.subject,
        alert.severity,
        alert.title,
        alert.detail,
        state,
        alert.fingerprint,
        last_event,
        pending,
    )
    return {alert.key: entry}


def only(decisions):
    assert len(decisions) == 1, decisions
    return decisions[0]


def test_a_new_alert_goes_to_every_channel():
    decision = only(decide([over_budget(1)], {}, COVERAGE, CHANNELS))
    assert (decision.event, decision.channels) == (Event.NEW, CHANNELS)


def test_the_same_band_is_not_sent_again():
    decision = only(decide([over_budget(1)], history_of(over_budget(1)), COVERAGE, CHANNELS))
    assert (decision.event, decision.channels) == (Event.UNCHANGED, ())


def test_another_band_or_another_severity_is_a_change():
    previous = history_of(over_budget(1))
    assert only(decide([over_budget(2)], previous, COVERAGE, CHANNELS)).event is Event.CHANGED
    assert only(decide([over_budget(1, "critical")], previous, COVERAGE, CHANNELS)).event is Event.CHANGED
    assert only(decide([over_budget(2)], previous, COVERAGE, CHANNELS)).channels == CHANNELS


def test_an_alert_no_longer_raised_in_an_evaluated_scope_is_resolved_once():
    previous = history_of(over_budget(1))
    decision = only(decide([], previous, COVERAGE, CHANNELS))
    assert (decision.event, decision.announces, decision.channels) == (Event.RESOLVED, "resolved", CHANNELS)
    assert decision.title == "BL-SEARCH over budget in 2026-02"
    # Once resolved (and delivered), nothing more is said.
    assert decide([], history_of(over_budget(1), state="resolved", last_event="resolved"), COVERAGE, CHANNELS) == []


def test_a_resolved_alert_that_comes_back_is_new_again():
    resolved = history_of(over_budget(1), state="resolved", last_event="resolved")
    assert only(decide([over_budget(1)], resolved, COVERAGE, CHANNELS)).event is Event.NEW


def test_an_alert_whose_period_left_the_window_expires_silently():
    previous = history_of(over_budget(3, period="2025-12"))
    decision = only(decide([], previous, COVERAGE, CHANNELS))
    assert (decision.event, decision.channels) == (Event.EXPIRED, ())


def test_an_alert_whose_condition_was_not_looked_at_stays_open_and_silent():
    check = Alert("data_quality", "marts/fct_y", "accepted_values", "critical", "t", "d", ("ERROR",))
    # The check did not run this time (its key is not in the coverage): neither resolved nor expired.
    assert decide([], history_of(check), COVERAGE, CHANNELS) == []
    ran = Alert("data_quality", "marts/fct_x", "unique_key", "critical", "t", "d", ("ERROR",))
    assert only(decide([], history_of(ran), COVERAGE, CHANNELS)).event is Event.RESOLVED
    # Nor does a condition without data (e.g. a mart not built yet) resolve anything.
    assert decide([], history_of(over_budget(1)), Coverage(), CHANNELS) == []


def test_a_failed_delivery_is_retried_on_the_failed_channel_only():
    owed = history_of(over_budget(1), pending=("email",))
    decision = only(decide([over_budget(1)], owed, COVERAGE, CHANNELS))
    assert (decision.event, decision.channels, decision.announces) == (Event.RETRY, ("email",), "new")
    # A change supersedes the retry: the new content goes everywhere.
    assert only(decide([over_budget(2)], owed, COVERAGE, CHANNELS)).channels == CHANNELS


def test_an_undelivered_resolution_is_retried():
    owed = history_of(over_budget(1), state="resolved", pending=("webhook",), last_event="resolved")
    decision = only(decide([], owed, COVERAGE, CHANNELS))
    assert (decision.event, decision.channels, decision.announces) == (Event.RETRY, ("webhook",), "resolved")


def test_without_channels_alerts_are_still_tracked_but_nothing_is_owed():
    decision = only(decide([over_budget(1)], {}, COVERAGE, ()))
    assert (decision.event, decision.channels) == (Event.NEW, ())
    # What happened while no channel was configured is owed to the first channel configured.
    unsent = history_of(over_budget(1), pending=("*",))
    assert decide([over_budget(1)], unsent, COVERAGE, ())[0].event is Event.UNCHANGED
    decision = only(decide([over_budget(1)], unsent, COVERAGE, ("webhook",)))
    assert (decision.event, decision.channels, decision.announces) == (Event.RETRY, ("webhook",), "new")
    # A channel that is no longer configured is not owed anything.
    assert (
        only(decide([over_budget(1)], history_of(over_budget(1), pending=("email",)), COVERAGE, ("webhook",))).event
        is Event.UNCHANGED
    )


def test_duplicate_keys_in_one_evaluation_count_once():
    assert len(decide([over_budget(1), over_budget(1)], {}, COVERAGE, CHANNELS)) == 1


def test_a_channel_gets_new_then_changed_then_resolved_most_severe_first():
    other = Alert("over_budget", "2026-01", "BL-B2B", "critical", "B2B", "d", ("band", 3))
    gone = over_budget(1, period="2026-01")
    decisions = decide(
        [over_budget(2), other],
        {**history_of(over_budget(1)), **history_of(gone)},
        COVERAGE,
        CHANNELS,
    )
    assert [(d.event, d.key) for d in to_send(decisions, "webhook")] == [
        (Event.NEW, "over_budget|2026-01|BL-B2B"),
        (Event.CHANGED, "over_budget|2026-02|BL-SEARCH"),
        (Event.RESOLVED, "over_budget|2026-01|BL-SEARCH"),
    ]
