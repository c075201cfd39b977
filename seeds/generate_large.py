"""Generate a large landing zone fast: ``generate.py``'s sample, its journeys simulated once and copied in DuckDB.

    python seeds/generate_large.py --out /tmp/big --touchpoints 10000000             # 25 s of CPU, 10M touchpoints
    python seeds/generate_large.py --out /tmp/big --touchpoints 10000000 --template-touchpoints 500000

Every argument of ``seeds/generate.py`` works the same (``--seed``, ``--start``, ``--end``, ``--scale``, …).
Spend, campaigns, finance, FX, budgets and lift tests are ``generate.py``'s files for the same
arguments, byte for byte (their random streams do not depend on the number of touchpoints). The
journeys are where the time goes at scale: ``generate.py`` simulates them in pandas and formats every
value in Python, minutes and several GiB at 10M. Here they are simulated once at a template size
(``--template-touchpoints``, 250,000 by default) and the touchpoints and conversions files are written
by DuckDB as ``K`` copies of the template, each copy a separate population:

- ids are renumbered per copy: ``touchpoint_id`` ``tp_<copy x template + n>`` (so exactly
  ``tp_1 … tp_<touchpoints>``, as ``generate.py`` numbers them), ``customer_id`` ``C<copy x 10^7 + n>``,
  conversion ids ``ORD-/OPP-/POS-<copy x count + n>``, ``anonymous_id`` a hash of the template's id
  and the copy (the first copy keeps the template's ids);
- timestamps, channels, campaigns, journey lengths, identification, second devices and the planted
  lookback-boundary and same-instant touches are the template's, so every journey and conversion
  rate, the channel mix and the timing of a copy equal the template's;
- each conversion's revenue and margin are divided by ``K``, so each UTC day's revenue is still the
  planted daily revenue of ``seeds/_media.py`` (to a cent per copy), as ``generate.py`` would plant it;
- the last copy leaves out its touches numbered above ``--touchpoints`` (fewer than ``K``), so the
  count is exact.

Same file layout as ``generate.py``: one ``touchpoints_YYYY-MM.csv.gz`` and one
``conversions_YYYY-MM.csv`` per UTC month, rows in time order. What differs: these files carry no
planted malformed lines (every row loads), the timestamps repeat ``K`` times (one instant per
template touch), and the attribution and pipeline truth are not written (as ``generate.py`` skips
them above 200,000 touchpoints); opportunities are the template's (the first copy's customers).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import math
import shutil
import sys
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

if __package__ in (None, ""):  # run as a script: make the ``seeds`` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from seeds import _journeys, _media, _pipeline
from seeds._world import period
from seeds.generate import SampleBuilder
from seeds.generate import parse_args as parse_sample_args

TEMPLATE_TOUCHPOINTS = 250_000
GZIP_LEVEL = 1  # 15% larger files than level 6, compressed 2.5x faster
CUSTOMER_NUMBERS = 10_000_000  # generate.py's customer ids are C + 7 digits
_SKIPPED = {"skipped": True, "reason": "journeys copied from a template by seeds/generate_large.py"}

# A copy's customer: C + (copy x CUSTOMER_NUMBERS + the template's number), at least 7 digits.
_CUSTOMER_MACRO = """
create macro copied_customer(customer_id, copy_number) as
    case when customer_id = '' then null
        else 'C' || printf('%07d', copy_number * 10000000 + cast(substr(customer_id, 2) as bigint)) end
"""
_TOUCHPOINTS_SQL = """
select
    'tp_' || printf($id_format, copy.number * $per_copy + template._seq) as touchpoint_id,
    case when copy.number = 0 then template.anonymous_id
        else substr(md5(template.anonymous_id || ':' || copy.number), 1, 16) end as anonymous_id,
    copied_customer(template.customer_id, copy.number) as customer_id,
    template.occurred_at,
    nullif(template.utm_source, '') as utm_source,
    nullif(template.utm_medium, '') as utm_medium,
    nullif(template.utm_campaign, '') as utm_campaign,
    template.touch_type
from template_touchpoints as template
cross join range($copies) as copy(number)
where template._month = $month and copy.number * $per_copy + template._seq <= $touchpoints
order by template._epoch, copy.number * $per_copy + template._seq
"""
_CONVERSIONS_SQL = """
select
    template._prefix || printf(
        case when template._prefix = 'ORD-' then '%07d' else '%06d' end,
        copy.number * (case when template._prefix = 'POS-' then $offline else $online end) + template._number
    ) as conversion_id,
    copied_customer(template.customer_id, copy.number) as customer_id,
    template.converted_at,
    printf('%.2f', greatest(round(template._revenue_cents / $copies), 1) / 100) as revenue,
    printf('%.2f', round(greatest(round(template._revenue_cents / $copies), 1) * template._margin_ratio) / 100)
        as gross_margin,
    template.currency,
    template.conversion_type
from template_conversions as template
cross join range($copies) as copy(number)
where template._month = $month
order by template._epoch, template._seq, copy.number
"""
_PARAMETERS = {
    _TOUCHPOINTS_SQL: ("id_format", "per_copy", "copies", "touchpoints"),
    _CONVERSIONS_SQL: ("offline", "online", "copies"),
}


def _gzip(plain: Path, target: Path) -> None:
    """Compress ``plain`` into ``target`` and remove it (zlib level 1: several times faster than DuckDB's gzip)."""
    with plain.open("rb") as source, gzip.GzipFile(target, "wb", compresslevel=GZIP_LEVEL, mtime=0) as sink:
        shutil.copyfileobj(source, sink, 1 << 20)
    plain.unlink()


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    own = argparse.ArgumentParser(add_help=False)
    own.add_argument("--template-touchpoints", type=int, default=TEMPLATE_TOUCHPOINTS)
    known, rest = own.parse_known_args(argv)
    args = parse_sample_args(rest)
    if known.template_touchpoints < _journeys.MIN_TOUCHPOINTS:
        raise SystemExit(f"--template-touchpoints must be at least {_journeys.MIN_TOUCHPOINTS}")
    args.template_touchpoints = known.template_touchpoints
    return args


def _months(epochs: pd.Series) -> np.ndarray:
    """UTC ``YYYY-MM`` of epoch seconds."""
    return np.datetime_as_string(epochs.to_numpy(dtype=np.int64).astype("datetime64[s]"), unit="M")


class LargeSampleBuilder(SampleBuilder):
    """``SampleBuilder`` whose touchpoints and conversions are ``copies`` DuckDB copies of a template."""

    def __init__(self, args: argparse.Namespace) -> None:
        super().__init__(args)
        self.copies = max(1, math.ceil(args.touchpoints / args.template_touchpoints))
        self.per_copy = math.ceil(args.touchpoints / self.copies)

    def write_journeys(self, media: _media.MediaTruth) -> _journeys.Journeys:
        journeys = self.simulate_journeys(media, self.per_copy)
        touchpoints = journeys.touchpoints.assign(_month=lambda frame: _months(frame["_epoch"]))
        conversions = self._conversion_template(journeys.conversions)
        if (customers := conversions["customer_id"].str[1:].astype(np.int64).max()) >= CUSTOMER_NUMBERS:
            raise ValueError(f"template customer number {customers} needs more than 7 digits")
        values = {
            "copies": self.copies,
            "per_copy": self.per_copy,
            "touchpoints": self.args.touchpoints,
            "id_format": f"%0{max(7, len(str(self.args.touchpoints)))}d",
            "online": int((conversions["_prefix"] != "POS-").sum()),
            "offline": int((conversions["_prefix"] == "POS-").sum()),
        }
        # The last copy leaves out the touches numbered above --touchpoints.
        left_out = touchpoints["_seq"] > self.args.touchpoints - (self.copies - 1) * self.per_copy
        with duckdb.connect() as connection, ThreadPoolExecutor(max_workers=1) as compressor:
            connection.execute(_CUSTOMER_MACRO)
            for table, frame in (("template_touchpoints", touchpoints), ("template_conversions", conversions)):
                connection.from_df(frame).create(table)
            written: list[Future[None]] = []
            for source, template, query, suffix, dropped in (
                ("touchpoints", touchpoints, _TOUCHPOINTS_SQL, ".csv.gz", left_out),
                ("conversions", conversions, _CONVERSIONS_SQL, ".csv", pd.Series(False, index=conversions.index)),
            ):
                for month in sorted(template["_month"].unique()):
                    in_month = template["_month"] == month
                    rows = self.copies * int(in_month.sum()) - int((in_month & dropped).sum())
                    params = {"month": str(month), **{name: values[name] for name in _PARAMETERS[query]}}
                    written.append(self._write_month(connection, compressor, source, suffix, query, params, rows))
            for future in written:
                future.result()
        return journeys

    def _conversion_template(self, conversions: pd.DataFrame) -> pd.DataFrame:
        """The template's conversions with their id split and their money in cents, for the SQL."""
        parts = conversions["conversion_id"].str.split("-", n=1, expand=True)
        revenue_cents = (conversions["revenue"].astype(float) * 100).round().astype(np.int64)
        margin_cents = (conversions["gross_margin"].astype(float) * 100).round().astype(np.int64)
        return conversions.assign(
            _prefix=parts[0] + "-",
            _number=parts[1].astype(np.int64),
            _revenue_cents=revenue_cents,
            _margin_ratio=margin_cents / revenue_cents,
            _month=_months(conversions["_epoch"]),
        )

    def _write_month(
        self,
        connection: duckdb.DuckDBPyConnection,
        compressor: ThreadPoolExecutor,
        source: str,
        suffix: str,
        query: str,
        params: dict[str, object],
        rows: int,
    ) -> Future[None]:
        """Write one month's file; a gzipped one is compressed in the background while DuckDB writes the next."""
        folder = f"marketing/{source}"
        first_day = dt.date.fromisoformat(f"{params['month']}-01")
        name = f"{source}_{period(first_day)}{suffix}"
        path = self.args.out / folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        plain = path.with_name(f".{name}.csv") if suffix.endswith(".gz") else path
        connection.sql(query, params=params).write_csv(str(plain), header=True)
        mtime = self.calendar.arrival(self.calendar.offset(first_day), 4)

        def finish() -> None:
            if plain != path:
                _gzip(plain, path)
            self.writer.record_file(folder, name, rows=rows, rejected_rows=0, mtime=mtime)

        return compressor.submit(finish)

    def _attribution(self, journeys: _journeys.Journeys, dim: dict) -> dict[str, object]:
        return dict(_SKIPPED)

    def write_opportunities(self, journeys: _journeys.Journeys) -> None:
        deals = _pipeline.simulate(journeys.touchpoints, self.calendar, self.args.seed)
        _pipeline.write(self.writer, self.calendar, deals)
        (self.args.out / "_truth" / "pipeline_truth.json").write_text(json.dumps(_SKIPPED, indent=2) + "\n")

    def build(self) -> None:
        super().build()
        manifest_path = self.args.out / "_truth" / "manifest.json"
        manifest = json.loads(manifest_path.read_text())
        manifest["generator"] = "seeds/generate_large.py"
        manifest["args"]["template_touchpoints"] = self.args.template_touchpoints
        manifest["journey_copies"] = {"copies": self.copies, "touchpoints_per_copy": self.per_copy}
        manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        LargeSampleBuilder(args).build()
    except ValueError as error:
        print(f"generate_large.py: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
