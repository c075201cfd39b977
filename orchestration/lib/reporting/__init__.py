"""Reports and alerts: what the warehouse tells executives, budget owners and the data team.

- ``periods``: reporting-period keys (``YYYY-MM`` months, ISO weeks), checked against a strict pattern
  before they name a file.
- ``marts``: the figures, read from the marts with bound parameters (never recomputed another way).
- ``recommendations`` and ``alert_rules``: small pure rules over those figures.
- ``charts`` and ``render``: matplotlib charts and one self-contained HTML file (and PDF) per report.
- ``delivery``: e-mail (SMTP or ``.eml`` files in an outbox) and webhook posts, with bounded retries.
- ``alert_history`` and ``alerts``: the alert history table and ``evaluate_and_deliver``.
"""
