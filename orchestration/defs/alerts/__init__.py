"""Alerts: evaluated by a sensor after each build, delivered to a webhook and/or e-mail, kept in audit."""

import dagster as dg

from orchestration.defs.alerts.sensors import alert_sensor


def defs() -> dg.Definitions:
    return dg.Definitions(sensors=[alert_sensor])
