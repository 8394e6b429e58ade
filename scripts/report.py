#!/usr/bin/env python3
"""Write the RFM report: one self-contained HTML file, with inline CSS and inline SVG only.

Sections: the R x F grid per M score as heat maps of customers with the segment boundaries drawn, segment
sizes and revenue shares, the average profile of each segment, customer value (predicted CLV per segment,
probability alive against recency), retention (per segment, the cohort triangle as a heat map; when their
marts exist, docs/retention.md), the data-quality figures and, once the tables
exist, the segment migration matrix and the campaign flows' uplift with its 95 % interval
(`campaign_flow_results`, docs/campaigns.md). The page has no script and loads nothing (its
Content-Security-Policy forbids it), so it can be mailed or archived as it is.

Reads the marts of the dbt profile's target on any engine (rfm_cli.marts: on DuckDB the published copy), or
of a DuckDB file (--database). Optionally renders the page to a PNG with headless Chromium (--screenshot).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2

sys.path.insert(0, str(Path(__file__).resolve().parent))
import rfm_cli  # noqa: E402
from rfm_cli import PROJECT_ROOT, UserError  # noqa: E402
from rfm_cli.marts import Row, open_marts, target_of  # noqa: E402

DEFAULT_OUT = PROJECT_ROOT / "target" / "rfm_report.html"
TEMPLATES = Path(__file__).resolve().parent / "templates"
TEMPLATE = "rfm_report.html.j2"
MARTS = ("customer_rfm", "rfm_segment_summary", "rfm_segment_map", "data_quality_summary")
MIGRATION_TABLE = "rfm_segment_migration"
MIGRATION_COLUMNS = ("from_segment_code", "to_segment_code", "customers")
FLOWS_TABLE = "campaign_flow_results"
# A null segment code in the migration table: not scored at that date (a new customer, or one who left).
NOT_SCORED = "(not scored)"

CHROMIUM = Path("/usr/bin/chromium")
# Headless, isolated and quiet: no network side-channels (QUIC, sync, component updates), so a run is the
# same offline and in CI. The caller adds a fresh --user-data-dir.
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
)

HEAT_LOW, HEAT_HIGH = (244, 248, 251), (8, 69, 148)
VALUE_TABLES = ("customer_clv", "rfm_segment_retention", "rfm_cohort_retention")
RECENCY_BIN_DAYS = 30
COHORTS_SHOWN, COHORT_MONTHS_SHOWN = 12, 12


@dataclass(frozen=True)
class Segment:
    code: str
    name: str
    colour: str
    row: Row  # the segment's rfm_segment_summary row


@dataclass(frozen=True)
class ReportData:
    as_of_date: Any
    levels: int
    segments: list[Segment]
    cells: dict[tuple[int, int, int], tuple[str, int]]  # (r, f, m) -> (segment code, customers)
    quality: list[Row]
    migration: list[Row] | None  # None: no table, or one without MIGRATION_COLUMNS
    migration_columns: list[str]
    alive_by_recency: list[Row] | None  # None: no customer_clv (and so for the two below)
    retention: list[Row] | None
    cohorts: list[Row] | None
    flows: list[Row] | None  # each flow's total row of FLOWS_TABLE; None: no such table


# ---------------------------------------------------------------- data


def load(target: dict[str, Any]) -> ReportData:
    with open_marts(target, MARTS) as marts:
        summary = marts.rows("select * from rfm_segment_summary order by display_order, segment_code")
        segments = [
            # the segment's own colour (seeds/rfm_segments.csv); the template escapes it like every value
            Segment(row["segment_code"], row["segment_name"], row["colour"], row)
            for row in summary
        ]
        # the grid the customers were scored on (the default one when nobody is)
        levels = marts.rows("select coalesce(max(score_levels), 4) as levels from customer_rfm")[0]["levels"]
        cells = marts.rows(
            """
            select map.r_score, map.f_score, map.m_score, map.segment_code, count(customers.customer_id) as customers
            from rfm_segment_map as map
            left join customer_rfm as customers
                on map.r_score = customers.r_score and map.f_score = customers.f_score
                and map.m_score = customers.m_score
            where map.score_levels = :levels
            group by map.r_score, map.f_score, map.m_score, map.segment_code
            """,
            levels=levels,
        )
        as_of_date = marts.rows("select max(as_of_date) as as_of_date from customer_rfm")[0]["as_of_date"]
        quality = marts.rows("select * from data_quality_summary")
        quality.sort(key=lambda row: row["source"], reverse=True)  # in Python: engines collate text differently
        migration_columns = marts.columns(MIGRATION_TABLE)
        migration = None
        if set(MIGRATION_COLUMNS) <= set(migration_columns):
            # One matrix: the latest period's moves, when the table holds several periods.
            latest_period = (
                f"where period_start_date = (select max(period_start_date) from {MIGRATION_TABLE})"
                if "period_start_date" in migration_columns else ""
            )
            migration = marts.rows(
                f"""
                select
                    coalesce(from_segment_code, '{NOT_SCORED}') as from_segment_code,
                    coalesce(to_segment_code, '{NOT_SCORED}') as to_segment_code,
                    sum(customers) as customers
                from {MIGRATION_TABLE}
                {latest_period}
                group by coalesce(from_segment_code, '{NOT_SCORED}'), coalesce(to_segment_code, '{NOT_SCORED}')
                """,
            )
        present = {table: bool(marts.columns(table)) for table in VALUE_TABLES}
        alive_by_recency = marts.rows(
            f"""
            select cast(floor(recency_days / {RECENCY_BIN_DAYS}) as integer) as recency_bin,
                count(*) as customers, avg(probability_alive) as probability_alive
            from customer_clv as clv inner join customer_rfm as scored on clv.customer_id = scored.customer_id
            group by cast(floor(recency_days / {RECENCY_BIN_DAYS}) as integer)
            """,
        ) if present["customer_clv"] else None
        retention = marts.rows(
            """
            select segment_code, count(*) as windows, sum(customers) as customers,
                sum(retained_customers) as retained_customers, sum(retained_revenue) as retained_revenue
            from rfm_segment_retention group by segment_code
            """,
        ) if present["rfm_segment_retention"] else None
        cohorts = marts.rows(
            "select cohort_month, months_since_first_purchase, cohort_customers, retention_rate"
            " from rfm_cohort_retention where months_since_first_purchase < :months",
            months=COHORT_MONTHS_SHOWN,
        ) if present["rfm_cohort_retention"] else None
        flows = None
        if marts.columns(FLOWS_TABLE):
            flows = marts.rows(f"select * from {FLOWS_TABLE} where is_flow_total")
            flows.sort(key=lambda row: row["flow_code"])
    return ReportData(
        as_of_date=as_of_date,
        levels=levels,
        segments=segments,
        cells={(c["r_score"], c["f_score"], c["m_score"]): (c["segment_code"], c["customers"]) for c in cells},
        quality=quality,
        migration=migration,
        migration_columns=migration_columns,
        alive_by_recency=alive_by_recency,
        retention=retention,
        cohorts=cohorts,
        flows=flows,
    )


# ---------------------------------------------------------------- formatting


def num(value: Any, decimals: int = 0) -> str:
    return "–" if value is None else f"{value:,.{decimals}f}"


def pct(value: Any) -> str:
    return "–" if value is None else f"{float(value) * 100:.1f} %"


def heat(share: float) -> tuple[str, str]:
    """(fill, text colour) for a share 0..1 of the largest value: light to dark blue, text flips to white."""
    share = min(max(share, 0.0), 1.0)
    rgb = [round(lo + (hi - lo) * share) for lo, hi in zip(HEAT_LOW, HEAT_HIGH, strict=True)]
    return "#{:02x}{:02x}{:02x}".format(*rgb), "#ffffff" if share > 0.5 else "#1f2933"


# ---------------------------------------------------------------- view (what the template draws)


def grid_panel(data: ReportData, m: int, by_code: dict[str, Segment], peak: int) -> dict[str, Any]:
    """The R x F grid at one M score: heat by customers, a thick line wherever the segment changes."""
    n, cell_w, cell_h, left, top = data.levels, 104, 58, 30, 30

    def x(f: int) -> int:
        return left + (f - 1) * cell_w

    def y(r: int) -> int:  # best recency on top
        return top + (n - r) * cell_h

    def cell(r: int, f: int) -> tuple[str | None, int]:  # (segment code, customers); a cell the map lacks is empty
        return data.cells.get((r, f, m), (None, 0))

    cells = []
    for r in range(1, n + 1):
        for f in range(1, n + 1):
            seg_code, customers = cell(r, f)
            segment = by_code.get(seg_code or "")
            name = segment.name if segment else (seg_code or "unmapped")
            # Square-root scale: one crowded cell (Champions, typically) would otherwise wash out all others.
            fill, ink = heat((customers / peak) ** 0.5 if peak else 0.0)
            cells.append({"x": x(f), "y": y(r), "fill": fill, "ink": ink, "name": name, "count": f"{customers:,}",
                          "strip": segment.colour if segment else "#000",
                          "title": f"R{r} F{f} M{m}: {name}, {customers:,} customers"})
    # Segment boundaries: between horizontal and vertical neighbours of different segments.
    lines = [
        (x(f + 1), y(r), x(f + 1), y(r) + cell_h)
        for r in range(1, n + 1) for f in range(1, n) if cell(r, f)[0] != cell(r, f + 1)[0]
    ] + [
        (x(f), y(r - 1), x(f) + cell_w, y(r - 1))
        for r in range(2, n + 1) for f in range(1, n + 1) if cell(r, f)[0] != cell(r - 1, f)[0]
    ]
    spend = "highest" if m == n else "lowest" if m == 1 else None
    return {
        "m": m, "title": f"M = {m}" + (f" · {spend} spend" if spend else ""),
        "width": left + n * cell_w + 2, "height": top + n * cell_h + 34, "left": left, "top": top,
        "cell_w": cell_w, "cell_h": cell_h, "grid_w": n * cell_w, "grid_h": n * cell_h,
        "rows": [(r, y(r) + cell_h / 2 + 4) for r in range(1, n + 1)],
        "columns": [(f, x(f) + cell_w / 2) for f in range(1, n + 1)],
        "cells": cells, "lines": lines,
    }


def bars(data: ReportData) -> dict[str, Any]:
    """Segment sizes and revenue shares: two bars per segment, scaled to the largest share."""
    label_w, bar_w, row_h, top = 170, 520, 44, 10
    peak = max(
        (float(s.row[k] or 0) for s in data.segments for k in ("customer_share", "revenue_share")), default=0.0
    ) or 1.0
    rows = []
    for i, segment in enumerate(data.segments):
        y0 = top + i * row_h
        figures = (
            ("customer_share", "#9aa5b1", f"{num(segment.row['customers'])} customers"),
            ("revenue_share", segment.colour, f"{num(segment.row['revenue'], 2)} revenue"),
        )
        rows.append({"name": segment.name, "y": y0 + 19, "bars": [
            {"y": y0 + 4 + j * 16, "length": bar_w * float(segment.row[key] or 0) / peak, "colour": colour,
             "value": f"{pct(segment.row[key])} · {figure}"}
            for j, (key, colour, figure) in enumerate(figures)
        ]})
    return {"label_w": label_w, "width": label_w + bar_w + 240, "height": top + len(data.segments) * row_h,
            "rows": rows}


def hbars(rows: list[tuple[str, str, float, str]]) -> dict[str, Any]:
    """One horizontal bar per (label, colour, value >= 0, caption), scaled to the largest value."""
    label_w, bar_w, row_h = 170, 520, 24
    peak = max((value for _, _, value, _ in rows), default=0.0) or 1.0
    return {"label_w": label_w, "width": label_w + bar_w + 260, "height": len(rows) * row_h + 6,
            "rows": [{"name": name, "colour": colour, "y": 4 + i * row_h, "length": bar_w * value / peak,
                      "caption": caption} for i, (name, colour, value, caption) in enumerate(rows)]}


def value(data: ReportData) -> dict[str, Any] | None:
    """Predicted CLV per segment, and probability alive by recency (mean per RECENCY_BIN_DAYS days)."""
    if data.alive_by_recency is None:
        return None
    clv = hbars([(s.name, s.colour, float(s.row["avg_predicted_clv"] or 0),
                  f"{num(s.row['avg_predicted_clv'], 2)} per customer · {num(s.row['predicted_clv'], 2)} in all")
                 for s in data.segments])
    bins = sorted(data.alive_by_recency, key=lambda row: row["recency_bin"])
    left, top, plot_w, plot_h = 50, 12, 640, 220
    last = max((row["recency_bin"] for row in bins), default=0) + 1
    points = [{"x": left + plot_w * (row["recency_bin"] + 0.5) / last,
               "y": top + plot_h * (1 - float(row["probability_alive"])),
               "title": f"recency {row['recency_bin'] * RECENCY_BIN_DAYS}-{(row['recency_bin'] + 1) * RECENCY_BIN_DAYS - 1}"
                        f" days: {num(row['customers'])} customers, mean P(alive) {float(row['probability_alive']):.3f}"}
              for row in bins]
    ticks = [{"x": left + plot_w * k / last, "label": f"{k * RECENCY_BIN_DAYS}"}
             for k in range(0, last + 1, max(1, last // 8))]
    return {"clv": clv, "alive": {"width": left + plot_w + 20, "height": top + plot_h + 40, "left": left, "top": top,
                                  "plot_w": plot_w, "plot_h": plot_h, "points": points, "ticks": ticks,
                                  "levels": [(f"{v:.1f}", top + plot_h * (1 - v)) for v in (0.0, 0.5, 1.0)],
                                  "bin_days": RECENCY_BIN_DAYS}}


def retention(data: ReportData) -> dict[str, Any] | None:
    """Retention per segment over the history's windows, and the cohort triangle as a heat map."""
    if data.retention is None or data.cohorts is None:
        return None
    by_code = {row["segment_code"]: row for row in data.retention}
    bars_rows = []
    for segment in data.segments:
        row = by_code.get(segment.code) or {"customers": 0, "retained_customers": 0, "retained_revenue": 0,
                                             "windows": 0}
        rate = row["retained_customers"] / row["customers"] if row["customers"] else 0.0
        bars_rows.append((segment.name, segment.colour, rate,
                          f"{pct(rate) if row['customers'] else '–'} of {num(row['customers'])} members over "
                          f"{num(row['windows'])} periods · {num(row['retained_revenue'], 2)} retained revenue"))
    cohorts = sorted({row["cohort_month"] for row in data.cohorts})[-COHORTS_SHOWN:]
    cells = {(row["cohort_month"], row["months_since_first_purchase"]): row for row in data.cohorts}
    # Month 0 is 100 % by definition: the heat scale runs over the later months.
    peak = max((float(row["retention_rate"]) for row in data.cohorts if row["months_since_first_purchase"]),
               default=0.0) or 1.0

    def cell(cohort: Any, month: int) -> dict[str, Any]:
        row = cells.get((cohort, month))
        if row is None:
            return {"value": "", "fill": "#ffffff", "ink": "#1f2933"}
        fill, ink = heat(float(row["retention_rate"]) / peak if month else 1.0)
        return {"value": pct(row["retention_rate"]), "fill": fill, "ink": ink}

    months = list(range(COHORT_MONTHS_SHOWN))
    return {"bars": hbars(bars_rows), "months": months,
            "cohorts": [(str(cohort)[:7], num(cells[(cohort, 0)]["cohort_customers"]), [cell(cohort, m) for m in months])
                        for cohort in cohorts]}


def quality(data: ReportData) -> dict[str, Any]:
    def rate(row: Row) -> str:
        # of the current rows, as the reject-share limits count them: a superseded customer record is neither
        current = row["rows_valid"] + row["rows_rejected"]
        return pct(row["rows_rejected"] / current) if current else "–"

    figures = [
        [
            row["source"], num(row["rows_in"]), num(row["rows_valid"]), num(row["rows_rejected"]), rate(row),
            num(row["rows_superseded"]),
            num(row["amount_in"], 2), num(row["amount_rejected"], 2), num(row["orders_without_customer"]),
            num(row["customers_missing"]), num(row["customers_merged"]),
        ]
        for row in data.quality
    ]
    reasons = [
        [row["source"], key.removeprefix("rejected_"), num(value)]
        for row in data.quality for key, value in row.items()
        if key.startswith("rejected_") and value
    ]
    return {"figures": figures, "reasons": reasons}


def migration(data: ReportData) -> dict[str, Any] | None:
    """The from x to segment matrix in display order; None when there is no usable table."""
    if data.migration is None:
        return None
    counts = {(r["from_segment_code"], r["to_segment_code"]): int(r["customers"] or 0) for r in data.migration}
    names = {s.code: s.name for s in data.segments}
    # Segments in display order, then any code the summary does not know (a segment since removed, NOT_SCORED).
    codes: list[str] = [s.code for s in data.segments] + sorted({c for pair in counts for c in pair} - set(names))
    peak = max(counts.values(), default=0)

    def cell(source: str, target: str) -> dict[str, Any]:
        value = counts.get((source, target), 0)
        fill, ink = heat(value / peak if peak else 0.0)
        return {"value": num(value), "fill": fill, "ink": ink, "bold": source == target}

    return {"names": [names.get(c, c) for c in codes],
            "rows": [(names.get(s, s), [cell(s, t) for t in codes]) for s in codes]}


def points(value: Any) -> str:
    """A difference of two rates in percentage points, signed."""
    return "–" if value is None else f"{float(value) * 100:+.1f} pts"


def flows(data: ReportData) -> dict[str, Any] | None:
    """Each flow's uplift of the conversion rate with its 95 % interval: a table and a forest plot (a line
    from the lower to the upper bound, a dot at the uplift, the zero line dashed)."""
    if data.flows is None:
        return None
    names = {s.code: s.name for s in data.segments}
    label_w, plot_w, row_h, top = 190, 560, 30, 24
    measured = [row for row in data.flows if row["uplift_lower_bound"] is not None]
    span = max((abs(float(row[k])) for row in measured for k in ("uplift_lower_bound", "uplift_upper_bound")),
               default=0.0) or 1.0

    def x(value: Any) -> float:
        return round(label_w + plot_w / 2 + plot_w / 2 * float(value) / span, 1)

    rows, plot = [], []
    for row in data.flows:
        interval = (f"{points(row['uplift_lower_bound'])} to {points(row['uplift_upper_bound'])}"
                    if row["uplift_lower_bound"] is not None else "–")
        verdict = ("too small to say" if row["is_too_small_to_say"]
                   else "no measurable effect" if row["uplift_lower_bound"] is None
                   or row["uplift_lower_bound"] <= 0 <= row["uplift_upper_bound"]
                   else "raises conversion" if row["uplift_lower_bound"] > 0 else "lowers conversion")
        rows.append([row["flow_code"], names.get(row["segment_code"], row["segment_code"]), num(row["treated_entrants"]),
                     num(row["holdout_entrants"]), pct(row["treated_conversion_rate"]),
                     pct(row["holdout_conversion_rate"]), points(row["absolute_uplift"]), interval,
                     num(row["incremental_revenue"], 2), pct(row["return_on_investment"]), verdict])
        if row["uplift_lower_bound"] is not None:
            y = top + len(plot) * row_h
            plot.append({"label": row["flow_code"], "y": y, "x1": x(row["uplift_lower_bound"]),
                         "x2": x(row["uplift_upper_bound"]), "x": x(row["absolute_uplift"]),
                         "colour": "#9aa5b1" if row["is_too_small_to_say"] else "#084594",
                         "title": f"{row['flow_code']}: {points(row['absolute_uplift'])}, 95 % interval {interval}"})
    return {"rows": rows, "plot": plot, "zero": x(0), "width": label_w + plot_w + 20,
            "height": top + len(plot) * row_h + 10, "top": top, "span": points(span), "minus_span": points(-span),
            "left": label_w, "right": label_w + plot_w}


def kpis(data: ReportData) -> list[tuple[str, str]]:
    rows = [s.row for s in data.segments]
    customers = sum(int(r["customers"] or 0) for r in rows)
    revenue = sum(Decimal(r["revenue"] or 0) for r in rows)
    orders = sum(int(r["orders"] or 0) for r in rows)
    return [
        ("scored customers", num(customers)), ("revenue (base currency)", num(revenue, 2)),
        ("valid purchases", num(orders)), ("average order value", num(revenue / orders, 2) if orders else "–"),
    ]


def render(data: ReportData) -> str:
    """The page, from templates/rfm_report.html.j2; autoescaping escapes every value that reaches the HTML."""
    by_code = {s.code: s for s in data.segments}
    peak = max((customers for _, customers in data.cells.values()), default=0)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(num=num, pct=pct)
    return env.get_template(TEMPLATE).render(
        as_of=str(data.as_of_date) if data.as_of_date else "– (nobody scored)",
        levels=data.levels, segments=data.segments, kpis=kpis(data),
        panels=[grid_panel(data, m, by_code, peak) for m in range(data.levels, 0, -1)],
        bars=bars(data), value=value(data), retention=retention(data), quality=quality(data),
        migration=migration(data), flows=flows(data),
        migration_table=MIGRATION_TABLE, migration_columns=MIGRATION_COLUMNS,
        found_migration_columns=data.migration_columns,
    )


# ---------------------------------------------------------------- chromium


def run_chromium(page: Path | str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Open `page` (a file, or a URL) in headless Chromium with a fresh throw-away profile; `args` choose what
    to produce."""
    if not CHROMIUM.exists():
        raise UserError(f"{CHROMIUM} not found (bash scripts/install_chromium.sh)")
    with tempfile.TemporaryDirectory(prefix="rfm-chromium-") as profile:
        return subprocess.run(
            [str(CHROMIUM), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args,
             page if isinstance(page, str) else page.resolve().as_uri()],
            capture_output=True, text=True, timeout=timeout, check=False,
        )


def screenshot(page: Path, png: Path, size: tuple[int, int]) -> None:
    proc = run_chromium(page, f"--screenshot={png.resolve()}", f"--window-size={size[0]},{size[1]}")
    if proc.returncode != 0 or not png.is_file() or png.stat().st_size == 0:
        raise UserError(f"chromium could not take the screenshot (exit {proc.returncode}): {proc.stderr[-500:]}")


# ---------------------------------------------------------------- cli


def window_size(value: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in value.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT, e.g. 1280x2600, got {value!r}") from None
    return width, height


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = rfm_cli.ArgumentParser(
        description="Write the RFM report as one self-contained HTML file (inline CSS and SVG, no script, "
        "no external resource) from the marts, on DuckDB, PostgreSQL or Spark."
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="HTML file to write (default: %(default)s)")
    rfm_cli.add_marts_options(parser)
    parser.add_argument("--screenshot", type=Path, metavar="PNG",
                        help="also render the page to this PNG with headless Chromium")
    parser.add_argument("--screenshot-size", type=window_size, default=(1280, 3300), metavar="WxH",
                        help="browser window for --screenshot (default: 1280x3300)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    target = target_of(args)
    print(f"reading the marts of target {target['target_name']}", file=sys.stderr)
    data = load(target)
    try:
        page = render(data)
    except KeyError as exc:
        raise UserError(f"a mart has no column {exc} (run `dbt build`)") from None
    rfm_cli.writable_file(args.out).write_text(page, encoding="utf-8")
    migration = "included" if data.migration is not None else "skipped (no usable table)"
    uplift = "included" if data.flows is not None else "skipped (no table)"
    print(f"wrote {args.out} ({len(data.segments)} segments; migration matrix {migration}; flow uplift {uplift})")
    if args.screenshot:
        screenshot(args.out, rfm_cli.writable_file(args.screenshot), args.screenshot_size)
        print(f"wrote {args.screenshot}")
    return 0


if __name__ == "__main__":
    rfm_cli.run(main)
