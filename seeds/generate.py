"""Generate a sample landing zone (``shared/data-contract.md``) and the truth the tests check against.

    python seeds/generate.py --out seeds/sample                       # the committed sample
    python seeds/generate.py --out /tmp/big --touchpoints 1000000     # a load test (or --scale 33.3)

The same arguments always give byte-identical files with the same modification times. ``--out`` gets
one folder per source (its ``marketing/``, ``finance/`` and ``_truth/`` folders are replaced) and
``_truth/`` with the expected results; see ``seeds/README.md`` for what is planted where.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

if __package__ in (None, ""):  # run as a script: make the ``seeds`` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from seeds import _authorisation, _finance, _fx, _journeys, _media, _pipeline, _spend, _truth
from seeds._io import BadLine, LandingWriter, csv_line, epoch
from seeds._world import CAMPAIGNS, PLANTED, Calendar, period

ATTRIBUTION_TRUTH_MAX_TOUCHPOINTS = 200_000
MIN_MATCHED_SHARE = Decimal("0.97")
MIN_TRACKED_SHARE = 0.92
_STREAMS = ("fx", "spend", "journeys", "finance", "budgets", "media")


DEFAULT_TOUCHPOINTS = 30_000


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="landing-zone folder to write")
    parser.add_argument("--seed", type=int, default=42)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--touchpoints", type=int, help=f"number of valid touchpoints (default {DEFAULT_TOUCHPOINTS:,})")
    size.add_argument(
        "--scale",
        type=float,
        help=f"size relative to the default sample: touchpoints = {DEFAULT_TOUCHPOINTS:,} x scale (e.g. 33.3 for 1M)",
    )
    parser.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2024, 1, 1))
    parser.add_argument("--end", type=dt.date.fromisoformat, default=dt.date(2026, 2, 14))
    parser.add_argument("--reporting-currency", choices=_fx.CURRENCIES, default="USD")
    args = parser.parse_args(argv)
    if args.scale is not None:
        if args.scale <= 0:
            parser.error("--scale must be positive")
        args.touchpoints = round(DEFAULT_TOUCHPOINTS * args.scale)
    elif args.touchpoints is None:
        args.touchpoints = DEFAULT_TOUCHPOINTS
    del args.scale
    return args


def bad_line(
    frame: pd.DataFrame, position: int, overrides: dict[str, str], reason: str, bad_value: str, *, raw: bool = False
) -> BadLine:
    """A copy of row ``position`` with ``overrides``, inserted in front of it (``raw``: no CSV quoting)."""
    values = [overrides.get(column, value) for column, value in frame.iloc[position].items()]
    return BadLine(position + 2, ",".join(values) if raw else csv_line(values), reason, bad_value)


class SampleBuilder:
    """Writes every source of the landing zone, then the truth."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.calendar = Calendar(args.start, args.end)
        self.calendar.validate()
        self.rc: str = args.reporting_currency
        self.writer = LandingWriter(args.out)
        sequences = np.random.SeedSequence(args.seed).spawn(len(_STREAMS))
        self.rng = {name: np.random.default_rng(sequence) for name, sequence in zip(_STREAMS, sequences, strict=True)}

    # ------------------------------------------------------------ sources

    def write_fx(self) -> _fx.FxPath:
        path = _fx.simulate(self.calendar.start, self.calendar.end, self.rng["fx"])
        table = _fx.rate_table(path, self.rc)
        for month, rows in table.groupby(table["rate_date"].str[:7], sort=True):
            offset = self.calendar.offset(dt.date.fromisoformat(f"{month}-01"))
            self.writer.write_csv(
                "fx_rates", "finance/fx_rates", f"fx_rates_{month}.csv", rows, mtime=self.calendar.arrival(offset, 5)
            )
        return path

    def write_spend(self) -> _spend.SpendData:
        spend = _authorisation.plant_spend(
            _spend.simulate(self.calendar, self.rng["spend"]), self.calendar, self.args.seed
        )
        ledger = spend.original
        sources = ledger["platform"].map(_spend.source_of)
        for source in _spend.FILE_SUFFIX:
            for month in self.calendar.offsets:
                rows = ledger[(sources == source) & (ledger["month"] == month)]
                if rows.empty:
                    continue
                frame = _spend.export_frame(source, rows).reset_index(drop=True)
                stem = _spend.file_stem(source, self.calendar.month(month))
                folder, mtime = f"marketing/{source}", self.calendar.arrival(month)
                if source == "linkedin_ads" and month == PLANTED.linkedin_parquet:
                    self.writer.write_parquet(
                        source,
                        folder,
                        f"{stem}.parquet",
                        frame,
                        mtime=mtime,
                        types={
                            "day": "date",
                            "cost_in_local_currency": "decimal(18, 2)",
                            "impressions": "bigint",
                            "clicks": "bigint",
                            "external_website_conversions": "bigint",
                        },
                    )
                    continue
                bad = self._spend_bad_lines(source, month, frame)
                name = f"{stem}{_spend.FILE_SUFFIX[source]}"
                self.writer.write_csv(source, folder, name, frame, mtime=mtime, bad_lines=bad)
        for restatement in spend.restatements:
            source = _spend.source_of(restatement.platform)
            frame = _spend.export_frame(source, restatement.rows).reset_index(drop=True)
            self.writer.write_csv(source, f"marketing/{source}", restatement.name, frame, mtime=restatement.mtime)
        return spend

    def _spend_bad_lines(self, source: str, month: int, frame: pd.DataFrame) -> tuple[BadLine, ...]:
        """The malformed spend lines: each a copy of a valid row with one value broken."""
        middle = len(frame) // 3
        year = self.calendar.month(month).year
        if source == "google_ads" and month == PLANTED.invalid_date_google:
            bad = f"{year}-02-30"
            return (bad_line(frame, middle, {"segments.date": bad}, "invalid_date", bad),)
        if source == "meta_ads" and month == PLANTED.invalid_number_meta:
            black_friday = next(c for c in CAMPAIGNS if c.utm_campaign == "uk_social_black_friday")
            overrides = {
                "account_id": black_friday.account_id,
                "account_currency": "GBP",
                "spend": "12,50",
                "campaign_id": black_friday.campaign_id,
                "campaign_name": black_friday.name,
            }
            return (bad_line(frame, middle, overrides, "invalid_number", '"12,50"'),)
        if source == "other_spend" and month == PLANTED.invalid_date_other_spend:
            day = dt.date.fromisoformat(frame.iloc[middle]["spend_date"])
            bad = f"{day:%m/%d/%Y}"
            return (bad_line(frame, middle, {"spend_date": bad}, "invalid_date", bad),)
        if source == "other_spend" and month == PLANTED.missing_key_other_spend:
            return (bad_line(frame, middle, {"campaign_id": ""}, "missing_key", ""),)
        return ()

    def write_campaigns(self) -> None:
        second_drop = self.calendar.day(9, 15)
        rows = pd.DataFrame(
            [
                {
                    "platform": c.platform,
                    "campaign_id": c.campaign_id,
                    "campaign_name": c.name,
                    "channel": c.channel,
                    "budget_line_id": c.budget_line_id,
                    "utm_campaign": c.utm_campaign,
                    "start_date": c.start_date(self.calendar).isoformat(),
                    "end_date": end.isoformat() if (end := c.end_date(self.calendar)) else "",
                    "owner_team": c.owner_team,
                }
                for c in (*CAMPAIGNS, *_authorisation.PLANTED_CAMPAIGNS)
            ]
        )
        later = rows["start_date"] > second_drop.isoformat()
        first_drop = self.calendar.start - dt.timedelta(days=1)
        for drop, part in ((first_drop, rows[~later]), (second_drop, rows[later])):
            self.writer.write_csv(
                "campaigns",
                "marketing/campaigns",
                f"campaigns_{drop.isoformat()}.csv",
                part.reset_index(drop=True),
                mtime=epoch(drop, 8),
            )

    def plant_media(self, spend: _spend.SpendData) -> _media.MediaTruth:
        """The planted media response of the written spend (reporting currency, as-of rates)."""
        days = np.arange(np.datetime64(self.calendar.start), np.datetime64(self.calendar.end) + 1)
        fx = _truth.FxTable.from_writer(self.writer, self.rc)
        currencies = {*spend.final["currency"].unique(), *_fx.CURRENCIES}
        self.rate_rc = _media.rates_by_day(fx, currencies, days)
        spend_rc = _media.daily_spend_rc(spend.final, self.rate_rc, days)
        return _media.plant(spend_rc, self.rc, float(self.rate_rc["USD"][0]), self.rng["media"])

    def simulate_journeys(self, media: _media.MediaTruth, touchpoints: int) -> _journeys.Journeys:
        """``touchpoints`` touches and their conversions, with the planted daily revenue (``seeds/_media.py``)."""
        journeys = _journeys.simulate(self.calendar, touchpoints, self.rng["journeys"])
        conversions = journeys.conversions
        caught = (conversions["_anchor_channel"] == "display") | (
            conversions["_anchor_campaign"].str.endswith("search_brand")
        )
        realised = _media.realise_revenue(conversions, caught.to_numpy(), media, self.rate_rc, self.rng["media"])
        return _journeys.Journeys(journeys.touchpoints, realised, journeys.planted)

    def write_journeys(self, media: _media.MediaTruth) -> _journeys.Journeys:
        """Touchpoints (gzipped) and conversions, one file per UTC month, rows in time order."""
        journeys = self.simulate_journeys(media, self.args.touchpoints)
        for source, frame, suffix in (
            ("touchpoints", journeys.touchpoints, ".csv.gz"),
            ("conversions", journeys.conversions, ".csv"),
        ):
            frame = frame.iloc[np.lexsort((frame["_seq"].to_numpy(), frame["_epoch"].to_numpy()))]
            months = frame["_epoch"].to_numpy().astype("datetime64[s]").astype("datetime64[M]")
            written = frame[[c for c in frame.columns if not c.startswith("_")]]
            for month in np.unique(months):
                offset = self.calendar.offset(month.astype(dt.date))
                rows = written[months == month].reset_index(drop=True)
                bad = self._journey_bad_lines(source, offset, rows, len(frame))
                name = f"{source}_{period(month.astype(dt.date))}{suffix}"
                self.writer.write_csv(
                    source, f"marketing/{source}", name, rows, mtime=self.calendar.arrival(offset, 4), bad_lines=bad
                )
        return journeys

    def _journey_bad_lines(self, source: str, month: int, frame: pd.DataFrame, total: int) -> tuple[BadLine, ...]:
        middle = len(frame) // 2
        if source == "touchpoints" and month == PLANTED.timestamp_without_offset:
            stamp = frame.iloc[middle]["occurred_at"][:19]
            new_id = f"tp_{total + 1:0{len(frame.iloc[0]['touchpoint_id']) - 3}d}"
            overrides = {"touchpoint_id": new_id, "occurred_at": stamp}
            return (bad_line(frame, middle, overrides, "timestamp_without_offset", stamp),)
        if source == "conversions" and month == PLANTED.unknown_currency_conversion:
            prefix, number = frame.iloc[middle]["conversion_id"].split("-")
            new_id = f"{prefix}-{total + 1:0{len(number)}d}"
            overrides = {"conversion_id": new_id, "currency": "XXX"}
            return (bad_line(frame, middle, overrides, "unknown_currency", "XXX"),)
        return ()

    def write_lift_tests(self, media: _media.MediaTruth) -> None:
        frame = _finance.lift_tests(self.calendar, media, self.rate_rc)
        self.writer.write_csv(
            "lift_tests", "marketing/lift_tests", "lift_tests.csv", frame, mtime=epoch(self.calendar.day(9, 1), 10)
        )

    def write_books(self, spend: _spend.SpendData) -> None:
        books = _finance.build_books(self.calendar, spend.final, self.rng["finance"])
        invoices = pd.DataFrame(books.invoices)
        for month, rows in invoices.groupby(invoices["invoice_date"].str[:7], sort=True):
            offset = self.calendar.offset(dt.date.fromisoformat(f"{month}-01"))
            rows = rows.sort_values(["invoice_date", "invoice_id"], kind="stable").reset_index(drop=True)
            self.writer.write_csv(
                "vendor_invoices",
                "finance/vendor_invoices",
                f"vendor_invoices_{month}.csv",
                rows,
                mtime=self.calendar.arrival(offset, 7),
            )
        lines = pd.DataFrame(books.gl_lines)
        for month, rows in lines.groupby(lines["posting_date"].str[:7], sort=True):
            offset = self.calendar.offset(dt.date.fromisoformat(f"{month}-01"))
            rows = rows.reset_index(drop=True)
            bad: tuple[BadLine, ...] = ()
            if offset == PLANTED.malformed_gl_row:
                overrides = {
                    "journal_id": f"JE-{month[:4]}-900001",
                    "line_id": "1",
                    "amount": "12,50",
                    "memo": "Manual accrual adjustment",
                    "invoice_id": "",
                }
                bad = (bad_line(rows, len(rows) // 2, overrides, "malformed_row", "12,50", raw=True),)
            self.writer.write_csv(
                "gl_journal_lines",
                "finance/gl_journal_lines",
                f"gl_journal_lines_{month}.csv",
                rows,
                mtime=self.calendar.arrival(offset, 7),
                bad_lines=bad,
            )

    def write_budgets(self, fx: _fx.FxPath) -> None:
        for version, approved_at, frame in _finance.budgets(self.calendar, fx, self.rc, self.rng["budgets"]):
            stamp = epoch(approved_at.date() + dt.timedelta(days=1), 9)
            frame = _authorisation.without_budget_gap(frame, self.calendar)
            self.writer.write_csv("budgets", "finance/budgets", f"budgets_{version}.csv", frame, mtime=stamp)

    # ------------------------------------------------------------ truth

    def write_truth(self, journeys: _journeys.Journeys, media: _media.MediaTruth) -> dict[str, object]:
        truth_dir = self.args.out / "_truth"
        truth_dir.mkdir(parents=True, exist_ok=True)
        writer, calendar = self.writer, self.calendar
        fx = _truth.FxTable.from_writer(writer, self.rc)
        dim = _truth.campaigns(writer)
        rows = _truth.spend_rows(writer, fx)
        by_account = _truth.spend_by_account_month(rows)
        expected = _truth.reconciliation(writer, calendar, by_account)
        actuals = _truth.budget_actuals(writer, calendar, rows, dim, fx)
        offsets = self._check_books(expected, actuals)
        tables = {
            "spend_by_channel_month": _truth.spend_by_channel_month(rows, dim),
            "spend_by_platform_account_month": pd.DataFrame(
                [
                    {
                        "platform": p,
                        "account_id": a,
                        "month": m,
                        "currency": c,
                        "spend": str(s),
                        "spend_rc": _truth.money(s_rc),
                    }
                    for (p, a, m), (c, s, s_rc) in sorted(by_account.items())
                ]
            ),
            "rejected_rows": _truth.rejected_rows(writer),
            "restated_rows": _truth.restated_rows(writer),
            "reconciliation_expected": expected,
            "reconciliation_cases": self._planted_cases(expected),
            "budget_current": _truth.budget_current(writer),
            "budget_actuals": actuals,
            "budget_tracking_offsets": offsets,
            "unbudgeted_spend": _authorisation.unbudgeted_truth(
                rows,
                {key: row for key, (row, _) in _truth.latest_rows(writer, "campaigns").items()},
                _truth.budget_current(writer),
            ),
            "channel_rules": pd.DataFrame(
                [{"utm_source": s, "utm_medium": m, "channel": c} for s, m, c in _truth.CHANNEL_RULES]
            ),
        }
        for name, table in tables.items():
            table.to_csv(truth_dir / f"{name}.csv", index=False, lineterminator="\n")
        (truth_dir / "media_response.json").write_text(json.dumps(media.as_json(), indent=2) + "\n")
        media.by_channel_month().to_csv(
            truth_dir / "incremental_revenue_by_channel_month.csv", index=False, lineterminator="\n"
        )
        attribution = self._attribution(journeys, dim)
        (truth_dir / "attribution_truth.json").write_text(json.dumps(attribution, indent=2) + "\n")
        return {
            "matched_share_of_closed_spend": str(_truth.matched_share(expected).quantize(Decimal("0.0001"))),
            "tracked_share_of_closed_budget_line_months": round(float(actuals["is_tracked"].mean()), 4),
            "truth_rows": {name: len(table) for name, table in tables.items()},
        }

    def _check_books(self, expected: pd.DataFrame, actuals: pd.DataFrame) -> pd.DataFrame:
        """Fail loudly if the planted finance story did not come out as designed; return the offsets."""
        share = _truth.matched_share(expected)
        if share < MIN_MATCHED_SHARE:
            raise RuntimeError(f"matched share of closed spend is {share:.4f} < {MIN_MATCHED_SHARE}")
        planned = _truth.expected_tracking_offsets(self.calendar)
        off = actuals[~actuals["is_tracked"]]
        found = set(zip(off["fiscal_period"], off["budget_line_id"], strict=True))
        if found != set(planned):
            raise RuntimeError(f"budget lines off by > 10%: {sorted(found)}, planted {sorted(planned)}")
        if actuals["is_tracked"].mean() < MIN_TRACKED_SHARE:
            raise RuntimeError("tracked share of closed budget line-months below target")
        reasons = [planned[key] for key in zip(off["fiscal_period"], off["budget_line_id"], strict=True)]
        return off.drop(columns="is_tracked").assign(reason=reasons).reset_index(drop=True)

    def _planted_cases(self, expected: pd.DataFrame) -> pd.DataFrame:
        records = []
        for case in _finance.PLANTED_CASES:
            billing = period(self.calendar.month(case.month))
            row = expected[
                (expected["platform_account_id"] == case.account.account_id) & (expected["billing_period"] == billing)
            ].iloc[0]
            if row["expected_status"] != case.expected_status:
                raise RuntimeError(f"planted case {case.case} came out {row['expected_status']}")
            records.append({"case": case.case, **row.drop(labels="platform_spend_rc").to_dict(), "note": case.note})
        return pd.DataFrame(records)

    def _attribution(
        self, journeys: _journeys.Journeys, dim: dict[tuple[str, str], _truth.Campaign]
    ) -> dict[str, object]:
        if self.args.touchpoints > ATTRIBUTION_TRUTH_MAX_TOUCHPOINTS:
            return {"skipped": True, "reason": f"--touchpoints > {ATTRIBUTION_TRUTH_MAX_TOUCHPOINTS}"}
        touches = pd.concat([d.frame for d in self.writer.drops_of("touchpoints")], ignore_index=True)
        conversions = pd.concat([d.frame for d in self.writer.drops_of("conversions")], ignore_index=True)
        utm_to_campaign = {
            row["utm_campaign"]: key
            for key, (row, _) in _truth.latest_rows(self.writer, "campaigns").items()
            if row["utm_campaign"]
        }
        labelled = _truth.touch_channels(
            journeys.touchpoints, dim, {u: dim[k].channel for u, k in utm_to_campaign.items()}
        )
        if not np.array_equal(labelled.to_numpy(dtype=str), journeys.touchpoints["_channel"].to_numpy(dtype=str)):
            raise RuntimeError("channel rules disagree with the channels the touches were generated for")
        result = _truth.attribution(touches, conversions, dim, utm_to_campaign)
        return {**result, "planted": {**journeys.planted, **result.pop("planted")}}

    def write_opportunities(self, journeys: _journeys.Journeys) -> None:
        """B2B deals (own random stream, written after everything else) and their influence truth."""
        deals = _pipeline.simulate(journeys.touchpoints, self.calendar, self.args.seed)
        _pipeline.write(self.writer, self.calendar, deals)
        truth_file = self.args.out / "_truth" / "pipeline_truth.json"
        if self.args.touchpoints > ATTRIBUTION_TRUTH_MAX_TOUCHPOINTS:
            reason = f"--touchpoints > {ATTRIBUTION_TRUTH_MAX_TOUCHPOINTS}"
            truth_file.write_text(json.dumps({"skipped": True, "reason": reason}, indent=2) + "\n")
            return
        utm_to_campaign = {
            row["utm_campaign"]: key
            for key, (row, _) in _truth.latest_rows(self.writer, "campaigns").items()
            if row["utm_campaign"]
        }
        truth = _pipeline.truth(
            self.writer,
            _truth.FxTable.from_writer(self.writer, self.rc),
            _truth.campaigns(self.writer),
            utm_to_campaign,
        )
        truth_file.write_text(json.dumps(truth, indent=2) + "\n")

    # ------------------------------------------------------------ all

    def build(self) -> None:
        for folder in ("marketing", "finance", "_truth"):
            shutil.rmtree(self.args.out / folder, ignore_errors=True)
        fx = self.write_fx()
        spend = self.write_spend()
        self.write_campaigns()
        media = self.plant_media(spend)
        journeys = self.write_journeys(media)
        self.write_lift_tests(media)
        self.write_books(spend)
        self.write_budgets(fx)
        checks = self.write_truth(journeys, media)
        self.write_opportunities(journeys)
        manifest = {
            "generator": "seeds/generate.py",
            "args": {
                "seed": self.args.seed,
                "touchpoints": self.args.touchpoints,
                "start": self.args.start.isoformat(),
                "end": self.args.end.isoformat(),
                "reporting_currency": self.rc,
            },
            "closed_months": [period(m) for m in self.calendar.closed_months],
            "open_months": [period(m) for m in self.calendar.months if m not in self.calendar.closed_months],
            **checks,
            "files": dict(sorted(self.writer.manifest.items())),
        }
        (self.args.out / "_truth" / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        SampleBuilder(args).build()
    except ValueError as error:
        print(f"generate.py: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
