"""Alerts: conditions on the marts that someone must act on, sent once when new, changed or resolved.

- ``rules``: the conditions and what "changed" means, as small pure functions over ``lib/marts.py`` rows.
- ``history``: the alert history tables (``audit.alert_history``, ``audit.alert_events``).
- ``messages``: the digest as a Slack-compatible payload and as an e-mail.
- ``engine``: ``evaluate_and_deliver``, run by the alert sensor after every build.

Reports live beside it in ``lib/reporting``; the two share only delivery (``lib/delivery.py``) and the
mart rows, periods and number formats both quote.
"""
