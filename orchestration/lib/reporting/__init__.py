"""Reports: what the warehouse tells executives and budget owners.

- ``recommendations``: small pure rules over the figures of ``lib/marts.py``.
- ``charts`` and ``render``: matplotlib charts and one self-contained HTML file (and PDF) per report.

Alerts live beside it in ``lib/alerting``. Both read the same typed mart rows (``lib/marts.py``),
periods (``lib/periods.py``) and number formats (``lib/formatting.py``), and share delivery
(``lib/delivery.py``: e-mail and webhook posts with bounded retries); neither imports the other.
"""
