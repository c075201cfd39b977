"""Which tests share a worker when the suite runs on several processes (pytest-xdist, ``--dist loadgroup``).

A test that reads one of the session's shared builds runs on the worker that holds that build, so each
build is made once per suite and not once per worker; any other test stays with its module, whose
module-scoped fixtures (a build of its own, a served dashboard) are then made once too. Without ``-n``
the groups change nothing.
"""

from __future__ import annotations

import pytest

# The session fixtures that each cost a whole build (tests/integration/conftest.py), most expensive first:
# a test that reads two of them goes with the first.
SHARED_BUILDS = ("fitted_seed11", "fitted_sample", "built")


def worker_group(fixture_names: list[str], module: str) -> str:
    """The xdist group of a test: the shared build it reads, else its module."""
    return next((name for name in SHARED_BUILDS if name in fixture_names), module)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        group = worker_group(list(getattr(item, "fixturenames", ())), item.nodeid.split("::")[0])
        item.add_marker(pytest.mark.xdist_group(group))
