"""The landing sensor's spend-only run: ``make run`` inside a Dagster run, so that new spend files reach the
snapshot within seconds, without a rebuild of attribution.

The landing sensor (automation.py) requests it when the only change since the last successful build is
landing files of non-journey sources (lib/spend_only.py). Its one step does what ``make run`` does: it
decides again (full, spend-only or nothing to do, on the files as they are by then), builds in one or two
runs of ``build_warehouse`` (each shows in the UI with its own log), and records the build's fingerprint,
so the next spend file is spend-only again.
"""

import dagster as dg

REFRESH_JOB_NAME = "refresh_from_landing"


@dg.op(
    description="Build the warehouse as `make run` does (spend-only when only spend-side files changed) and "
    "record the build; fails when that build fails."
)
def refresh_warehouse(context: dg.OpExecutionContext) -> None:
    from orchestration import cli

    code = cli.run(log_level="WARNING")
    if code != 0:
        raise dg.Failure(description=f"the build exited with {code}; see the build_warehouse run(s) it started")
    context.log.info("warehouse refreshed from the landing zone")


@dg.job(
    name=REFRESH_JOB_NAME,
    executor_def=dg.in_process_executor,
    tags={"dagster/max_retries": "0"},
    description="What `make run` does, started by the landing sensor when only spend-side files changed.",
)
def refresh_from_landing() -> None:
    refresh_warehouse()
