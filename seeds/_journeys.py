"""Visitors, their touches and the conversions of the customers they turn into; fully vectorised.

A visitor (``anonymous_id``) has a few touches spread over weeks. Some visitors identify: from some
touch on, their touches usually carry a ``customer_id`` (earlier ones never do, so identity stitching
must recover them). Some customers use a second device, a second visitor that identifies too. Most
identified visitors convert after one of their touches; some convert again later, some of those long
after their last touch (no touch in the window: ``unattributed``), and a few customers exist only in
the CRM. Planted on top: touches exactly ``lookback`` days before a conversion (outside the window),
conversions at the very second of a touch (inside), and two touches of one visitor at the same instant
(ordered by ``touchpoint_id``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from seeds._io import epoch, fixed, hex_ids, iso_timestamps, padded
from seeds._world import CAMPAIGNS, PAID_TOUCH_CHANNELS, Calendar

DAY = 86_400
LOOKBACK_DAYS = 30
MIN_TOUCHPOINTS = 500

TOUCH_CHANNELS: tuple[str, ...] = (*PAID_TOUCH_CHANNELS, "organic_search", "direct", "email", "referral")
_FIRST_TOUCH_MIX = (0.24, 0.16, 0.06, 0.04, 0.05, 0.21, 0.10, 0.03, 0.11)
_LATER_TOUCH_MIX = (0.18, 0.10, 0.10, 0.02, 0.05, 0.17, 0.20, 0.13, 0.05)

# Regions: share of visitors, conversion currency and time zones as (winter, summer) UTC offsets in minutes.
_REGIONS: tuple[tuple[str, float, str, tuple[tuple[int, int], ...]], ...] = (
    ("US", 0.45, "USD", ((-300, -240), (-360, -300), (-480, -420))),
    ("EU", 0.33, "EUR", ((60, 120), (60, 120), (120, 180))),
    ("UK", 0.16, "GBP", ((0, 60),)),
    ("APAC", 0.06, "USD", ((540, 540), (330, 330))),
)
_UTC_TRACKED_SHARE = 0.1  # visitors whose timestamps are logged in UTC ("Z")

_ORGANIC_SOURCES = ("google", "google", "google", "google", "bing", "duckduckgo")
_REFERRAL_SOURCES = ("g2.com", "capterra.com", "techcrunch.com", "partnerblog.example.com")
_CRM_EMAIL_CAMPAIGNS = ("onboarding_series", "winback")


@dataclass(frozen=True)
class Journeys:
    """Contract-layout text frames (helper columns start with ``_``) and the planted ids."""

    touchpoints: pd.DataFrame
    conversions: pd.DataFrame
    planted: dict[str, list[dict[str, str]]]


def _pick(rng: np.random.Generator, options: tuple[str, ...], size: int) -> np.ndarray:
    return np.asarray(options, dtype=object)[rng.integers(0, len(options), size)]


def _month_text(epochs: np.ndarray) -> np.ndarray:
    """UTC ``YYYY-MM`` of epoch seconds."""
    return np.datetime_as_string(np.asarray(epochs, dtype=np.int64).astype("datetime64[s]"), unit="M")


class _CampaignPool:
    """The paid campaigns a touch of each channel can come from (weighted, and running at the time)."""

    def __init__(self, calendar: Calendar) -> None:
        self.by_channel: dict[str, list[int]] = {channel: [] for channel in PAID_TOUCH_CHANNELS}
        for index, campaign in enumerate(CAMPAIGNS):
            if campaign.channel in self.by_channel and campaign.daily_spend > 0:
                self.by_channel[campaign.channel].append(index)
        self.starts = np.array([epoch(c.start_date(calendar)) for c in CAMPAIGNS], dtype=np.int64)
        far_future = epoch(calendar.end) + 10 * 365 * DAY
        self.ends = np.array(
            [epoch(end) + DAY if (end := c.end_date(calendar)) else far_future for c in CAMPAIGNS], dtype=np.int64
        )

    def pick(self, channel: str, times: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Campaign indexes for touches of ``channel``; a campaign not running falls back to an always-on one."""
        candidates = np.asarray(self.by_channel[channel])
        weights = np.array([CAMPAIGNS[i].touch_weight for i in candidates], dtype=float)
        chosen = candidates[rng.choice(len(candidates), size=len(times), p=weights / weights.sum())]
        always_on = [i for i in candidates if CAMPAIGNS[i].flight.end is None and self.starts[i] <= times.min()]
        running = (self.starts[chosen] <= times) & (times < self.ends[chosen])
        return np.where(running, chosen, always_on[0])


def _describe(
    channels: np.ndarray, times: np.ndarray, pool: _CampaignPool, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """utm_source, utm_medium, utm_campaign and touch_type of touches with the given channel indexes."""
    size = len(channels)
    columns = {name: np.full(size, "", dtype=object) for name in ("utm_source", "utm_medium", "utm_campaign")}
    touch_type = np.full(size, "visit", dtype=object)
    sources, mediums, utms = (
        np.array([getattr(c, a) for c in CAMPAIGNS], dtype=object) for a in ("utm_source", "utm_medium", "utm_campaign")
    )
    for channel_index, channel in enumerate(TOUCH_CHANNELS):
        mask = channels == channel_index
        count = int(mask.sum())
        if count == 0:
            continue
        if channel in PAID_TOUCH_CHANNELS:
            campaign = pool.pick(channel, times[mask], rng)
            columns["utm_source"][mask] = sources[campaign]
            columns["utm_medium"][mask] = mediums[campaign]
            columns["utm_campaign"][mask] = utms[campaign]
            touch_type[mask] = np.where(rng.random(count) < 0.85, "click", "visit")
        elif channel == "organic_search":
            columns["utm_source"][mask] = _pick(rng, _ORGANIC_SOURCES, count)
            columns["utm_medium"][mask] = "organic"
        elif channel == "direct":
            labelled = rng.random(count) < 0.4
            columns["utm_source"][mask] = np.where(labelled, "direct", "")
            columns["utm_medium"][mask] = np.where(labelled, "(none)", "")
        elif channel == "email":
            newsletter = rng.random(count) < 0.7
            columns["utm_source"][mask] = np.where(newsletter, "newsletter", "crm")
            columns["utm_medium"][mask] = "email"
            issue = np.strings.add("newsletter_", _month_text(times[mask]))
            columns["utm_campaign"][mask] = np.where(newsletter, issue, _pick(rng, _CRM_EMAIL_CAMPAIGNS, count))
            touch_type[mask] = np.where(rng.random(count) < 0.6, "email_open", "click")
        else:  # referral
            columns["utm_source"][mask] = _pick(rng, _REFERRAL_SOURCES, count)
            columns["utm_medium"][mask] = "referral"
    return {**columns, "touch_type": touch_type}


def _visitor_sizes(base: int, rng: np.random.Generator) -> np.ndarray:
    """Touches per visitor (mean about 4), summing to exactly ``base``."""
    sizes = np.minimum(1 + rng.negative_binomial(1.1, 1.1 / 4.1, size=base), 80)
    totals = np.cumsum(sizes)
    visitors = int(np.searchsorted(totals, base)) + 1
    sizes = sizes[:visitors]
    sizes[-1] -= int(totals[visitors - 1]) - base
    return sizes


def _touch_times(
    sizes: np.ndarray, first_index: np.ndarray, owner: np.ndarray, span: tuple[int, int], rng: np.random.Generator
) -> np.ndarray:
    """Epoch seconds of every touch: a visitor's touches are minutes (same visit) or days apart."""
    total = len(owner)
    same_visit = rng.random(total) < 0.3
    gaps = np.where(same_visit, rng.exponential(25 * 60, total) + 60, rng.exponential(6 * DAY, total) + 3600)
    gaps[first_index] = 0.0
    visitor_span = np.bincount(owner, weights=gaps, minlength=len(sizes))
    start, end = span
    room = end - start
    squeeze = np.minimum(1.0, 0.9 * room / np.maximum(visitor_span, 1.0))
    gaps = np.floor(gaps * squeeze[owner])
    visitor_span = np.bincount(owner, weights=gaps, minlength=len(sizes))
    first_time = start + np.floor(rng.random(len(sizes)) * (room - visitor_span))
    elapsed = np.cumsum(gaps)
    elapsed -= elapsed[first_index][owner]
    return (first_time[owner] + elapsed).astype(np.int64)


def _dst_safe(conversions: np.ndarray, calendar: Calendar) -> np.ndarray:
    """Conversions whose lookback window contains no EU or US daylight-saving change (one hour margin).

    The exact-boundary touches are planted only there, so they sit exactly ``30 x 24`` hours before the
    conversion whichever way the warehouse does its day arithmetic.
    """
    changes = []
    for year in range(calendar.start.year - 1, calendar.end.year + 1):
        for month, week, weekday_from_end, hour in (
            (3, None, 6, 1),
            (10, None, 6, 1),
            (3, 2, None, 7),
            (11, 1, None, 6),
        ):
            if week is None:  # last Sunday of the month (EU), 01:00 UTC
                last = dt.date(year, month + 1, 1) - dt.timedelta(days=1)
                day = last - dt.timedelta(days=(last.weekday() - weekday_from_end) % 7)
            else:  # n-th Sunday (US)
                first = dt.date(year, month, 1)
                day = first + dt.timedelta(days=(6 - first.weekday()) % 7 + 7 * (week - 1))
            changes.append(epoch(day, hour))
    change = np.asarray(changes, dtype=np.int64)[None, :]
    window_start = conversions[:, None] - LOOKBACK_DAYS * DAY - 3600
    window_end = conversions[:, None] + 3600
    return ~((change > window_start) & (change < window_end)).any(axis=1)


@dataclass
class _Population:
    """Visitors (index ``v``) and their base touches (index ``t``), as parallel arrays."""

    sizes: np.ndarray  # touches per visitor
    first_index: np.ndarray  # t of each visitor's first touch
    owner: np.ndarray  # v of each touch
    position: np.ndarray  # index of a touch within its visitor
    times: np.ndarray  # epoch seconds of each touch
    region: np.ndarray  # index into _REGIONS per visitor
    zone: np.ndarray  # time zone within the region per visitor
    identify_at: np.ndarray  # position of the touch where the visitor identifies
    converts: np.ndarray  # visitor converts (only if identified)
    anchor: np.ndarray  # position of the touch after which it converts
    customer_of: np.ndarray  # v of the customer's main visitor, -1 if never identified

    def touch(self, visitors: np.ndarray, positions: np.ndarray) -> np.ndarray:
        return self.first_index[visitors] + positions


def _population(base: int, span: tuple[int, int], rng: np.random.Generator) -> _Population:
    """Visitors with their touches, who identifies when, and who converts after which touch."""
    sizes = _visitor_sizes(base, rng)
    visitors = len(sizes)
    owner = np.repeat(np.arange(visitors), sizes)
    first_index = np.cumsum(sizes) - sizes
    times = _touch_times(sizes, first_index, owner, span, rng)
    region = rng.choice(len(_REGIONS), size=visitors, p=[r[1] for r in _REGIONS])
    zone = rng.integers(0, 3, size=visitors)
    identified = rng.random(visitors) < 0.10 + 0.05 * np.minimum(sizes, 8)
    identify_at = np.floor(rng.random(visitors) * sizes).astype(np.int64)
    converts = identified & (rng.random(visitors) < 0.55)
    anchor = identify_at + np.floor(rng.random(visitors) * (sizes - identify_at)).astype(np.int64)
    customer_of = np.where(identified, np.arange(visitors), -1)
    return _Population(
        sizes,
        first_index,
        owner,
        np.arange(base) - first_index[owner],
        times,
        region,
        zone,
        identify_at,
        converts,
        anchor,
        customer_of,
    )


def _add_second_devices(people: _Population, span: tuple[int, int], rng: np.random.Generator) -> None:
    """Give some customers a second device: an anonymous visitor moved to end shortly before their anchor."""
    spare = np.flatnonzero(people.customer_of < 0)
    owners = np.flatnonzero(people.customer_of >= 0)
    count = min(len(spare), round(0.12 * len(owners)))
    device = rng.choice(spare, size=count, replace=False)
    device_owner = rng.choice(owners, size=count, replace=False)
    anchor_time = people.times[people.touch(device_owner, people.anchor[device_owner])]
    last_touch = people.times[people.touch(device, people.sizes[device] - 1)]
    shift = anchor_time - np.floor(rng.random(count) * 12 * DAY).astype(np.int64) - last_touch
    fits = people.times[people.first_index[device]] + shift >= span[0]
    device, device_owner, shift = device[fits], device_owner[fits], shift[fits]
    moved = np.zeros(len(people.sizes), dtype=np.int64)
    moved[device] = shift
    people.times += moved[people.owner]
    people.customer_of[device] = device_owner
    people.region[device] = people.region[device_owner]


def _customer_tags(people: _Population, rng: np.random.Generator) -> np.ndarray:
    """Touches that carry the customer_id: from identification on, usually; always the identifying one."""
    identifying = people.position == people.identify_at[people.owner]
    after = people.position >= people.identify_at[people.owner]
    tagged = (people.customer_of[people.owner] >= 0) & after & ((rng.random(len(people.owner)) < 0.85) | identifying)
    return tagged | (people.converts[people.owner] & (people.position == people.anchor[people.owner]))


def _conversion_events(
    people: _Population, tagged: np.ndarray, span: tuple[int, int], rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(customer visitor, epoch, anchor touch or -1) of each conversion of an identified customer.

    First conversions follow the anchor touch after a short delay (none for 12%: a touch at the very
    second of the conversion). A repeat purchase follows a later touch, or lapses 31-150 days after
    the visitor's last touch.
    """
    converters = np.flatnonzero(people.converts)
    delay = np.where(rng.random(len(converters)) < 0.12, 0, np.floor(rng.exponential(1800, len(converters))) + 1)
    first_touch = people.touch(converters, people.anchor[converters])
    repeat = converters[rng.random(len(converters)) < 0.28]
    has_later = people.anchor[repeat] < people.sizes[repeat] - 1
    again = repeat[has_later & (rng.random(len(repeat)) < 0.6)]
    later = (
        people.anchor[again]
        + 1
        + np.floor(rng.random(len(again)) * (people.sizes[again] - people.anchor[again] - 1)).astype(np.int64)
    )
    again_touch = people.touch(again, later)
    tagged[again_touch] = True
    lapsed = np.setdiff1d(repeat, again)
    lapsed_last = people.times[people.touch(lapsed, people.sizes[lapsed] - 1)]
    customer = np.concatenate([converters, again, lapsed])
    converted = np.concatenate(
        [
            people.times[first_touch] + delay.astype(np.int64),
            people.times[again_touch] + 60 + rng.integers(0, 7200, len(again)),
            lapsed_last + rng.integers(31 * DAY, 150 * DAY, len(lapsed)),
        ]
    )
    anchored = np.concatenate([first_touch, again_touch, np.full(len(lapsed), -1)])
    keep = converted <= span[1]
    return customer[keep], converted[keep], anchored[keep]


@dataclass(frozen=True)
class _Extras:
    """Planted touches appended after the base touches."""

    owner: np.ndarray
    time: np.ndarray
    channel: np.ndarray
    tagged: np.ndarray
    boundary: np.ndarray  # conversion index of each boundary touch (they come first)
    twins: np.ndarray  # conversion index whose anchor touch each twin copies (they come second)


def _planted_touches(
    people: _Population,
    channel: np.ndarray,
    conversions: tuple[np.ndarray, np.ndarray, np.ndarray],
    counts: tuple[int, int],
    calendar: Calendar,
    rng: np.random.Generator,
) -> _Extras:
    """Touches exactly LOOKBACK_DAYS before a conversion, and same-instant twins of anchor touches."""
    customer, converted, anchored = conversions
    start = epoch(calendar.start)
    candidates = np.flatnonzero(
        (anchored >= 0) & (converted - LOOKBACK_DAYS * DAY >= start) & _dst_safe(converted, calendar)
    )
    picked = rng.choice(candidates, size=min(len(candidates), sum(counts)), replace=False)
    boundary, twins = picked[: counts[0]], picked[counts[0] :]
    twin_of = anchored[twins]
    shifted = (channel[twin_of] + rng.integers(1, len(TOUCH_CHANNELS), len(twins))) % len(TOUCH_CHANNELS)
    return _Extras(
        owner=np.concatenate([customer[boundary], people.owner[twin_of]]),
        time=np.concatenate([converted[boundary] - LOOKBACK_DAYS * DAY, people.times[twin_of]]),
        channel=np.concatenate([rng.choice([0, 1, 2, 5, 8], size=len(boundary)), shifted]),
        tagged=np.concatenate([rng.random(len(boundary)) < 0.5, np.ones(len(twins), dtype=bool)]),
        boundary=boundary,
        twins=twins,
    )


def simulate(calendar: Calendar, touchpoints: int, rng: np.random.Generator) -> Journeys:
    """Simulate ``touchpoints`` touches (exactly, planted ones included) and the resulting conversions."""
    if touchpoints < MIN_TOUCHPOINTS:
        raise ValueError(f"--touchpoints must be at least {MIN_TOUCHPOINTS}")
    counts = (int(np.clip(round(touchpoints / 2000), 5, 200)), int(np.clip(round(touchpoints / 4000), 4, 100)))
    base = touchpoints - sum(counts)
    span = (epoch(calendar.start), epoch(calendar.end + dt.timedelta(days=1)) - 1)

    people = _population(base, span, rng)
    _add_second_devices(people, span, rng)
    tagged = _customer_tags(people, rng)
    channel = np.where(
        people.position == 0,
        rng.choice(len(TOUCH_CHANNELS), size=base, p=_FIRST_TOUCH_MIX),
        rng.choice(len(TOUCH_CHANNELS), size=base, p=_LATER_TOUCH_MIX),
    )
    conversions = _conversion_events(people, tagged, span, rng)
    extras = _planted_touches(people, channel, conversions, counts, calendar, rng)

    owner = np.concatenate([people.owner, extras.owner])
    times = np.concatenate([people.times, extras.time])
    all_channel = np.concatenate([channel, extras.channel])
    total = len(owner)
    sequence = rng.permutation(total) + 1
    touch_ids = padded("tp_", sequence, max(7, len(str(total))))
    visitors = len(people.sizes)
    anonymous = hex_ids(
        (np.arange(visitors, dtype=np.uint64) + np.uint64(rng.integers(1, 2**62))) * np.uint64(0x9E3779B97F4A7C15)
    )
    n_customers = visitors + len(conversions[0]) + 100
    customer_ids = padded("C", rng.permutation(visitors + 10 * n_customers)[:n_customers] + 1, 7)
    known = people.customer_of[owner] >= 0
    tags = np.concatenate([tagged, extras.tagged]) & known
    as_z = rng.random(visitors) < _UTC_TRACKED_SHARE
    touch_as_z = as_z[owner]
    touch_as_z[base + len(extras.boundary) :] ^= True  # twins: the same instant written the other way
    offsets = _offsets(people.region[owner], people.zone[owner], times)
    utm = _describe(all_channel, times, _CampaignPool(calendar), rng)
    touch_frame = pd.DataFrame(
        {
            "touchpoint_id": touch_ids,
            "anonymous_id": anonymous[owner],
            "customer_id": np.where(tags, customer_ids[np.maximum(people.customer_of[owner], 0)], ""),
            "occurred_at": iso_timestamps(times, np.where(touch_as_z, 0, offsets), touch_as_z),
            **utm,
            "_epoch": times,
            "_seq": sequence,
            "_channel": np.asarray(TOUCH_CHANNELS, dtype=object)[all_channel],
        }
    )
    anchored = conversions[2]
    conversion_frame, conversion_ids = _conversions(
        conversions, customer_ids, people, as_z, utm["utm_campaign"], owner, span, rng, value_scale(touchpoints)
    )
    anchor_touch = np.concatenate([anchored, np.full(len(conversion_frame) - len(anchored), -1)])
    channel_names = np.asarray(TOUCH_CHANNELS, dtype=object)
    anchor_channel = np.where(anchor_touch >= 0, channel_names[all_channel[anchor_touch]], "")
    anchor_campaign = np.where(anchor_touch >= 0, np.asarray(utm["utm_campaign"], dtype=object)[anchor_touch], "")
    conversion_frame = conversion_frame.assign(
        _anchor_channel=anchor_channel[conversion_frame["_input"].to_numpy()],
        _anchor_campaign=anchor_campaign[conversion_frame["_input"].to_numpy()],
    ).drop(columns="_input")
    first_twin = base + len(extras.boundary)
    planted = {
        "touch_exactly_lookback_before_conversion": [
            {"touchpoint_id": str(touch_ids[base + i]), "conversion_id": str(conversion_ids[c])}
            for i, c in enumerate(extras.boundary)
        ],
        "same_instant_touch_pairs": [
            {"touchpoint_id": str(touch_ids[anchored[c]]), "twin_touchpoint_id": str(touch_ids[first_twin + i])}
            for i, c in enumerate(extras.twins)
        ],
    }
    return Journeys(touch_frame, conversion_frame, planted)


def _offsets(region: np.ndarray, zone: np.ndarray, times: np.ndarray) -> np.ndarray:
    """UTC offset in minutes of each touch: the visitor's zone, summer time April to October (roughly)."""
    month = (times.astype("datetime64[s]").astype("datetime64[M]").astype(np.int64) % 12) + 1
    summer = ((month >= 4) & (month <= 10)).astype(np.intp)
    table = np.zeros((len(_REGIONS), 3, 2), dtype=np.int64)
    for r, (_, _, _, zones) in enumerate(_REGIONS):
        for z in range(3):
            table[r, z] = zones[z % len(zones)]
    return table[region, zone, summer]


# Order and deal values are scaled so the sample's economics stay plausible whatever --touchpoints is:
# spend does not depend on the number of touchpoints but conversions do, so at the default size
# (30,000 touchpoints, ~1,400 conversions) an average deal is worth more than at 1M touchpoints. At the
# default size revenue is about 4x spend over the whole period (ROAS ~4, ROI on margin around +60 %),
# with channels above and below that.
REFERENCE_TOUCHPOINTS = 30_000
REFERENCE_VALUE_SCALE = 16.0


def value_scale(touchpoints: int) -> float:
    return REFERENCE_VALUE_SCALE * REFERENCE_TOUCHPOINTS / touchpoints


def _conversions(
    conversions: tuple[np.ndarray, np.ndarray, np.ndarray],
    customer_ids: np.ndarray,
    people: _Population,
    as_z: np.ndarray,
    utm_campaign: np.ndarray,
    touch_owner: np.ndarray,
    span: tuple[int, int],
    rng: np.random.Generator,
    scale: float,
) -> tuple[pd.DataFrame, np.ndarray]:
    """The conversions frame (plus CRM-only customers without any touch) and ids in input order.

    A customer who ever clicked a LinkedIn (``b2b_``) campaign closes deals (``closed_won``, large
    revenue); everyone else places orders. Currency follows the customer's region.
    """
    customer, converted, _ = conversions
    visitors = len(people.region)
    b2b_touch = np.strings.startswith(utm_campaign.astype(str), "b2b_")
    is_b2b = np.bincount(touch_owner[b2b_touch], minlength=visitors) > 0
    crm_only = max(2, round(0.02 * len(customer)))
    crm_region = rng.choice(len(_REGIONS), size=crm_only, p=[r[1] for r in _REGIONS])

    ids_of = np.concatenate([customer_ids[customer], customer_ids[visitors + np.arange(crm_only)]])
    times = np.concatenate([converted, rng.integers(span[0], span[1], crm_only)])
    regions = np.concatenate([people.region[customer], crm_region])
    zones = np.concatenate([people.zone[customer], rng.integers(0, 3, crm_only)])
    utc = np.concatenate([as_z[customer], np.zeros(crm_only, dtype=bool)])
    b2b = np.concatenate([is_b2b[customer], np.zeros(crm_only, dtype=bool)])

    size = len(times)
    revenue = scale * np.where(b2b, rng.lognormal(np.log(9000), 0.7, size), rng.lognormal(np.log(85), 0.6, size))
    revenue_cents = np.maximum(np.rint(revenue * 100).astype(np.int64), 500)
    margin_cents = np.rint(revenue_cents * rng.uniform(0.2, 0.6, size)).astype(np.int64)
    currency = np.asarray([r[2] for r in _REGIONS], dtype=object)[regions]

    order = np.lexsort((ids_of, times))
    sequence = np.empty(size, dtype=np.int64)
    sequence[order] = np.arange(size)
    conversion_ids = np.where(b2b, padded("OPP-", sequence + 1, 6), padded("ORD-", sequence + 1, 7))
    offsets = _offsets(regions, zones, times)
    frame = pd.DataFrame(
        {
            "conversion_id": conversion_ids,
            "customer_id": ids_of,
            "converted_at": iso_timestamps(times, np.where(utc, 0, offsets), utc),
            "revenue": fixed(revenue_cents, 2),
            "gross_margin": fixed(margin_cents, 2),
            "currency": currency,
            "conversion_type": np.where(b2b, "closed_won", "order"),
            "_epoch": times,
            "_seq": sequence,
            "_input": np.arange(size),
        }
    ).iloc[order]
    return frame.reset_index(drop=True), conversion_ids
