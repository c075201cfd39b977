"""The alert sensor: after every finished build, evaluate the alert conditions and deliver what changed.

It runs in the sensor daemon, never inside a build: a failed delivery is
recorded in ``audit.alert_history`` and cannot fail the pipeline. While a
build holds the warehouse it skips the tick, and the next tick tries again
(the cursor only moves once a build's alerts were evaluated).
"""

from pathlib import Path

import dagster as dg

from orchestration.defs.pipeline.automation import BUILD_JOB_NAME
from orchestration.defs.resources import Warehouse
from orchestration.lib import settings
from orchestration.lib.alerting.engine import WarehouseBusyError, evaluate_and_deliver

FINISHED = [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE]


def latest_finished_build(instance: dg.DagsterInstance) -> dg.DagsterRun | None:
    runs = instance.get_runs(filters=dg.RunsFilter(job_name=BUILD_JOB_NAME, statuses=FINISHED), limit=1)
    return runs[0] if runs else None


@dg.sensor(
    name="alert_sensor",
    minimum_interval_seconds=settings.config().alerts.sensor_interval_seconds,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "After each finished build: evaluates the alert conditions (over budget, pacing, reconciliation, "
        "data quality, ROI floor; thresholds in config/roi.yml `alerts`), sends what is new, changed or resolved "
        "to the webhook and/or e-mail and records it in audit.alert_history."
    ),
)
def alert_sensor(context: dg.SensorEvaluationContext, warehouse: Warehouse) -> dg.SensorResult | dg.SkipReason:
    run = latest_finished_build(context.instance)
    if run is None:
        return dg.SkipReason("no build has finished yet")
    if run.run_id == context.cursor:
        return dg.SkipReason(f"alerts already evaluated after build {run.run_id}")
    try:
        outcome = evaluate_and_deliver(
            Path(warehouse.path),
            settings.config(),
            run_id=run.run_id,
            instance=context.instance,
            currency=warehouse.reporting_currency,
        )
    except WarehouseBusyError as busy:
        return dg.SkipReason(f"the warehouse is busy ({busy}); trying again on the next tick")
    context.log.info(outcome.summary())
    return dg.SensorResult(skip_reason=dg.SkipReason(outcome.summary()), cursor=run.run_id)
