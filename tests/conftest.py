"""Test-session settings shared by every suite.

Both suites run on two pytest-xdist workers (the Makefile's ``PYTEST_WORKERS``: ``--dist loadfile``, a
test file per worker at a time), and a session-scoped build (``tests/integration/conftest.py``) is made
once per worker that asks for it. Files that read the same costly build are therefore scheduled as one
unit, so that build is made once: ``SHARED_BUILDS`` below. (xdist's own ``--dist loadgroup`` would do
this with ``xdist_group`` marks, but under pytest 9 it loses the groups: it renames ``item._nodeid``,
which pytest 9 no longer reads.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

TESTS = Path(__file__).parent

# Test files scheduled as one unit, by the session-scoped builds they share (minutes each).
SHARED_BUILDS = {
    # The marketing-mix fit of seed 11's zone (about three minutes) is read by the MMM's and the budget
    # scenarios' tests; the budget scenarios' slow test and the engine comparison read the session's `built`.
    "fitted_seed11 and built": (
        "integration/test_incrementality.py",
        "integration/test_budget_scenarios.py",
        "integration/test_engine_comparison.py",
    ),
}


def shared_build_scopes(rootdir: Path) -> dict[str, str]:
    """Each grouped file's node-id prefix (relative to ``rootdir``) -> the unit it is scheduled in."""
    scopes = {}
    for build, files in SHARED_BUILDS.items():
        for file in files:
            path = TESTS / file
            if not path.is_file():
                raise pytest.UsageError(f"tests/conftest.py: SHARED_BUILDS[{build!r}] names a missing {file}")
            scopes[path.relative_to(rootdir).as_posix()] = f"shared build {build}"
    return scopes


@pytest.hookimpl(optionalhook=True)  # only with pytest-xdist (PYTEST_WORKERS= runs in one process)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    scopes = shared_build_scopes(Path(config.rootpath))

    class SharedBuildScheduling(LoadFileScheduling):
        """``--dist loadfile``, with the files of one shared build in one unit."""

        def _split_scope(self, nodeid: str) -> str:
            file = super()._split_scope(nodeid)
            return scopes.get(file, file)

    return SharedBuildScheduling(config, log)
