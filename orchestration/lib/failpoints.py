"""Named crash points, for the crash-safety tests.

``failpoint("ingest:before_commit:touchpoints")`` does nothing unless the
environment variable ``ROI_FAILPOINTS`` lists that name (comma-separated);
then it kills this process's whole process group with SIGKILL, exactly like
an out-of-memory kill or a pulled plug, so a test can prove that the next run
recovers. Production never sets the variable.
"""

from __future__ import annotations

import os
import signal

FAILPOINTS_ENV = "ROI_FAILPOINTS"


def armed(name: str) -> bool:
    return name in {point.strip() for point in os.environ.get(FAILPOINTS_ENV, "").split(",") if point.strip()}


def failpoint(name: str) -> None:
    """SIGKILL the process group here if ``ROI_FAILPOINTS`` names this point.

    The group (this process and its children, e.g. dbt) is killed only when
    this process leads it, as a run started in its own session does; otherwise
    only this process dies, so a test runner that forgot to isolate the run is
    never taken down with it.
    """
    if not armed(name):
        return
    if os.getpgid(0) == os.getpid():
        os.killpg(os.getpid(), signal.SIGKILL)
    os.kill(os.getpid(), signal.SIGKILL)
