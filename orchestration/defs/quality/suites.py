"""Great Expectations suites, written as code.

Each function returns a suite for one mart; ``orchestration.lib.gx`` saves it
into the file context under ``expectations/`` and validates a frame with it.
"""

from __future__ import annotations

from functools import cache

import great_expectations as gx
import great_expectations.expectations as gxe
import pandas as pd

from orchestration.lib.ingest import CURRENCY_SEED

# spend_rc is spend x rate rounded to 6 decimals at most; anything beyond is a wrong conversion.
SPEND_RC_TOLERANCE = 0.000001


@cache
def iso_currency_codes() -> tuple[str, ...]:
    return tuple(pd.read_csv(CURRENCY_SEED, dtype=str, keep_default_na=False)["currency_code"].str.strip())


def marketing_spend_daily_suite(reporting_currency: str) -> gx.ExpectationSuite:
    """``marts.fct_marketing_spend_daily``: non-empty, non-negative, known currencies, spend_rc = spend x rate."""
    return gx.ExpectationSuite(
        name="fct_marketing_spend_daily",
        expectations=[
            gxe.ExpectTableRowCountToBeBetween(min_value=1),
            gxe.ExpectColumnValuesToNotBeNull(column="spend"),
            gxe.ExpectColumnValuesToNotBeNull(column="spend_rc"),
            gxe.ExpectColumnValuesToBeBetween(column="spend", min_value=0),
            gxe.ExpectColumnValuesToBeBetween(column="spend_rc", min_value=0),
            gxe.ExpectColumnValuesToBeInSet(column="currency", value_set=list(iso_currency_codes())),
            gxe.ExpectColumnValuesToBeInSet(column="reporting_currency", value_set=[reporting_currency]),
            gxe.ExpectColumnValuesToBeBetween(
                column="spend_rc_conversion_error", min_value=0, max_value=SPEND_RC_TOLERANCE
            ),
        ],
    )
