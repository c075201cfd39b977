"""How the slow suite's tests are spread over two workers (tests/conftest.py)."""

from __future__ import annotations

from tests.conftest import worker_group


def test_a_test_goes_to_the_worker_holding_the_most_expensive_shared_build_it_reads() -> None:
    assert worker_group(["db", "built", "fitted_seed11"], "tests/integration/test_x.py") == "fitted_seed11"
    assert worker_group(["db", "built"], "tests/integration/test_x.py") == "built"
    assert worker_group(["fitted_sample", "tmp_path"], "tests/integration/test_x.py") == "fitted_sample"


def test_a_test_reading_no_shared_build_stays_with_its_module() -> None:
    assert worker_group(["tmp_path", "built_copy"], "tests/integration/test_x.py") == "tests/integration/test_x.py"
