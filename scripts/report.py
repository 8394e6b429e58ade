#!/usr/bin/env python3
"""Write the RFM report: one self-contained HTML file, with inline CSS and inline SVG only.

Sections: the R x F grid per M score as heat maps of customers with the segment boundaries drawn, segment
sizes and revenue shares, the average profile of each segment, the data-quality figures and, once the table
`rfm_segment_migration` exists, the segment migration matrix. The page has no script and loads nothing (its
Content-Security-Policy forbids it), so it can be mailed or archived as it is.

Reads the marts from the DuckDB file of the dbt profile's target, or from --database. Optionally renders
the page to a PNG with headless Chromium (--screenshot).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape
from pathlib import Path
from typing import Any

import duckdb

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = PROJECT_ROOT / "target" / "rfm_report.html"
MARTS = ("customer_rfm", "rfm_segment_summary", "rfm_segment_map", "data_quality_summary")
MIGRATION_TABLE = "rfm_segment_migration"
MIGRATION_COLUMNS = ("from_segment_code", "to_segment_code", "customers")
# A null segment code in the migration table: not scored at that date (a new customer, or one who left).
NOT_SCORED = "(not scored)"

CHROMIUM = Path("/usr/bin/chromium")
# Headless, isolated and quiet: no network side-channels (QUIC, sync, component updates), so a run is the
# same offline and in CI. The caller adds a fresh --user-data-dir.
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
)

# One colour per segment, in display order (best first): greens for the engaged, warm colours for the
# slipping, grey for the lost. Cycled if the seed ever holds more segments.
SEGMENT_COLOURS = (
    "#1b7837", "#3f9f4f", "#8cc97e", "#1f8a8a", "#5ab4d6", "#e3b448",
    "#f08a3c", "#d7452f", "#8e6bbf", "#8c8c8c", "#a3136f",
)
HEAT_LOW, HEAT_HIGH = (244, 248, 251), (8, 69, 148)

Row = dict[str, Any]


class UserError(Exception):
    """Printed as one `error: ...` line, exit code 2."""


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


# ---------------------------------------------------------------- data


def fetch(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> list[Row]:
    cur = con.execute(sql, list(params))
    names = [d[0] for d in cur.description]
    return [dict(zip(names, values, strict=True)) for values in cur.fetchall()]


def table_columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str]:
    rows = fetch(
        con,
        "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
        "order by ordinal_position",
        (schema, table),
    )
    return [row["column_name"] for row in rows]


def open_marts(database: Path, schema: str, tables: Sequence[str]) -> duckdb.DuckDBPyConnection:
    """A read-only connection whose default schema holds `tables`, or a UserError saying what is missing."""
    if not database.is_file():
        raise UserError(f"{database} does not exist (run the loader and `dbt build` first, or pass --database)")
    try:
        # Read-only: a reader never blocks a dbt run for longer than its queries take.
        con = duckdb.connect(str(database), read_only=True)
    except duckdb.Error as exc:
        raise UserError(f"cannot open {database}: {str(exc).splitlines()[0]}") from None
    missing = [t for t in tables if not table_columns(con, schema, t)]
    if missing:
        con.close()
        raise UserError(f"{database}: no table {', '.join(missing)} in schema {schema} (run `dbt build` first)")
    con.execute("set schema = " + "'" + schema.replace("'", "''") + "'")
    return con


def load(database: Path, schema: str) -> ReportData:
    with open_marts(database, schema, MARTS) as con:
        summary = fetch(con, "select * from rfm_segment_summary order by display_order, segment_code")
        segments = [
            Segment(row["segment_code"], row["segment_name"], SEGMENT_COLOURS[i % len(SEGMENT_COLOURS)], row)
            for i, row in enumerate(summary)
        ]
        cells = fetch(
            con,
            """
            select map.r_score, map.f_score, map.m_score, map.segment_code, count(customers.customer_id) as customers
            from rfm_segment_map as map
            left join customer_rfm as customers
                on map.r_score = customers.r_score and map.f_score = customers.f_score
                and map.m_score = customers.m_score
            group by all
            """,
        )
        as_of_date = fetch(con, "select max(as_of_date) as as_of_date from customer_rfm")[0]["as_of_date"]
        quality = fetch(con, "select * from data_quality_summary order by source desc")
        migration_columns = table_columns(con, schema, MIGRATION_TABLE)
        migration = None
        if set(MIGRATION_COLUMNS) <= set(migration_columns):
            # One matrix: the latest period's moves, when the table holds several periods.
            latest_period = (
                f"where period_start_date = (select max(period_start_date) from {MIGRATION_TABLE})"
                if "period_start_date" in migration_columns else ""
            )
            migration = fetch(
                con,
                f"""
                select
                    coalesce(from_segment_code, '{NOT_SCORED}') as from_segment_code,
                    coalesce(to_segment_code, '{NOT_SCORED}') as to_segment_code,
                    sum(customers) as customers
                from {MIGRATION_TABLE}
                {latest_period}
                group by all
                """,
            )
    return ReportData(
        as_of_date=as_of_date,
        levels=max((c["r_score"] for c in cells), default=0),
        segments=segments,
        cells={(c["r_score"], c["f_score"], c["m_score"]): (c["segment_code"], c["customers"]) for c in cells},
        quality=quality,
        migration=migration,
        migration_columns=migration_columns,
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


def text(x: float, y: float, content: str, **attrs: Any) -> str:
    extra = "".join(f' {k.rstrip("_").replace("_", "-")}="{escape(str(v))}"' for k, v in attrs.items())
    return f'<text x="{x:g}" y="{y:g}"{extra}>{escape(content)}</text>'


def svg(width: float, height: float, label: str, body: Iterable[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:g}" height="{height:g}" '
        f'viewBox="0 0 {width:g} {height:g}" role="img" aria-label="{escape(label)}">{"".join(body)}</svg>'
    )


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], numeric: range) -> str:
    """An HTML table of already-escaped cells; the `numeric` columns are right-aligned."""
    def row(cells: Sequence[str], tag: str) -> str:
        return "<tr>" + "".join(
            f'<{tag}{" class=num" if i in numeric else ""}>{cell}</{tag}>' for i, cell in enumerate(cells)
        ) + "</tr>"
    body = "".join(row(cells, "td") for cells in rows)
    return f"<table><thead>{row([escape(h) for h in headers], 'th')}</thead><tbody>{body}</tbody></table>"


def chip(segment: Segment) -> str:
    return f'<span class="chip" style="background:{segment.colour}"></span>{escape(segment.name)}'


# ---------------------------------------------------------------- sections


def grid_panel(data: ReportData, m: int, by_code: dict[str, Segment], peak: int) -> str:
    """The R x F grid at one M score: heat by customers, a thick line wherever the segment changes."""
    n, cell_w, cell_h, left, top = data.levels, 104, 58, 30, 30
    width, height = left + n * cell_w + 2, top + n * cell_h + 34

    def x(f: int) -> int:
        return left + (f - 1) * cell_w

    def y(r: int) -> int:  # best recency on top
        return top + (n - r) * cell_h

    def cell(r: int, f: int) -> tuple[str | None, int]:  # (segment code, customers); a cell the map lacks is empty
        return data.cells.get((r, f, m), (None, 0))

    spend = "highest" if m == n else "lowest" if m == 1 else None
    title = f"M = {m}" + (f" · {spend} spend" if spend else "")
    parts = [text(left, 18, title, class_="panel-title"), text(left - 8, 18, "R", class_="axis", text_anchor="end")]
    for r in range(1, n + 1):
        parts.append(text(left - 8, y(r) + cell_h / 2 + 4, str(r), class_="axis", text_anchor="end"))
        for f in range(1, n + 1):
            seg_code, customers = cell(r, f)
            segment = by_code.get(seg_code or "")
            name = segment.name if segment else (seg_code or "unmapped")
            # Square-root scale: one crowded cell (Champions, typically) would otherwise wash out all others.
            fill, ink = heat((customers / peak) ** 0.5 if peak else 0.0)
            parts.append(
                f'<g><title>{escape(f"R{r} F{f} M{m}: {name}, {customers:,} customers")}</title>'
                f'<rect x="{x(f)}" y="{y(r)}" width="{cell_w}" height="{cell_h}" fill="{fill}"/>'
                f'<rect x="{x(f)}" y="{y(r)}" width="{cell_w}" height="5" '
                f'fill="{segment.colour if segment else "#000"}"/>'
                + text(x(f) + cell_w / 2, y(r) + 30, f"{customers:,}", class_="cell-count", fill=ink)
                + text(x(f) + cell_w / 2, y(r) + 47, name, class_="cell-label", fill=ink)
                + "</g>"
            )
    for f in range(1, n + 1):
        parts.append(text(x(f) + cell_w / 2, top + n * cell_h + 16, str(f), class_="axis", text_anchor="middle"))
    parts.append(text(left + n * cell_w / 2, top + n * cell_h + 31, "F score →", class_="axis", text_anchor="middle"))
    # Segment boundaries: between horizontal and vertical neighbours of different segments, plus the frame.
    lines = [
        (x(f + 1), y(r), x(f + 1), y(r) + cell_h)
        for r in range(1, n + 1) for f in range(1, n) if cell(r, f)[0] != cell(r, f + 1)[0]
    ] + [
        (x(f), y(r - 1), x(f) + cell_w, y(r - 1))
        for r in range(2, n + 1) for f in range(1, n + 1) if cell(r, f)[0] != cell(r - 1, f)[0]
    ]
    parts.extend(f'<line x1="{a}" y1="{b}" x2="{c}" y2="{d}" class="boundary"/>' for a, b, c, d in lines)
    parts.append(f'<rect x="{left}" y="{top}" width="{n * cell_w}" height="{n * cell_h}" class="frame"/>')
    return svg(width, height, f"RFM grid at M = {m}", parts)


def grid_section(data: ReportData) -> str:
    by_code = {s.code: s for s in data.segments}
    peak = max((customers for _, customers in data.cells.values()), default=0)
    panels = "".join(grid_panel(data, m, by_code, peak) for m in range(data.levels, 0, -1))
    n = data.levels
    return (
        "<section><h2>The RFM grid</h2>"
        f"<p class=note>Customers per cell, one panel per monetary score M; rows are the recency score R "
        f"({n} = bought most recently, on top), columns the frequency score F ({n} = bought most often, right). "
        "The darker the cell, the more customers (square-root scale). Thick lines separate segments; the strip "
        "on top of each cell is the segment's colour. Hover a cell for its figures.</p>"
        f"<div class=panels>{panels}</div></section>"
    )


def bars_section(data: ReportData) -> str:
    label_w, bar_w, row_h, top = 170, 520, 44, 10
    peak = max(
        (float(s.row[k] or 0) for s in data.segments for k in ("customer_share", "revenue_share")), default=0.0
    ) or 1.0
    parts: list[str] = []
    for i, segment in enumerate(data.segments):
        y0 = top + i * row_h
        parts.append(text(label_w - 10, y0 + 19, segment.name, class_="bar-label", text_anchor="end"))
        bars = (
            ("customer_share", "#9aa5b1", f"{num(segment.row['customers'])} customers"),
            ("revenue_share", segment.colour, f"{num(segment.row['revenue'], 2)} revenue"),
        )
        for j, (key, colour, figure) in enumerate(bars):
            share = float(segment.row[key] or 0)
            length = bar_w * share / peak
            by = y0 + 4 + j * 16
            parts.append(f'<rect x="{label_w}" y="{by}" width="{length:.1f}" height="14" fill="{colour}"/>')
            value = f"{pct(segment.row[key])} · {figure}"
            parts.append(text(label_w + length + 6, by + 11, value, class_="bar-value"))
    height = top + len(data.segments) * row_h
    legend = (
        '<p class=legend><span class="chip" style="background:#9aa5b1"></span>share of customers '
        '<span class="chip" style="background:#3f9f4f"></span>share of revenue (in the segment\'s colour)</p>'
    )
    chart = svg(label_w + bar_w + 240, height, "Segment sizes and revenue shares", parts)
    return f"<section><h2>Segment sizes and revenue shares</h2>{legend}{chart}</section>"


def profile_section(data: ReportData) -> str:
    rows = [
        [
            chip(s), num(s.row["customers"]), num(s.row["avg_recency_days"], 1), num(s.row["avg_frequency"], 2),
            num(s.row["avg_monetary"], 2), num(s.row["avg_order_value"], 2), num(s.row["avg_r_score"], 2),
            num(s.row["avg_f_score"], 2), num(s.row["avg_m_score"], 2),
            f'<span class=action>{escape(s.row["recommended_action"] or "")}</span>',
        ]
        for s in data.segments
    ]
    headers = (
        "Segment", "Customers", "Avg recency (days)", "Avg frequency", "Avg monetary", "Avg order value",
        "Avg R", "Avg F", "Avg M", "Recommended action",
    )
    return (
        "<section><h2>Average profile per segment</h2>"
        "<p class=note>Amounts in the base currency; an empty segment shows dashes.</p>"
        f"{table(headers, rows, numeric=range(1, len(headers) - 1))}</section>"
    )


def quality_section(data: ReportData) -> str:
    def rate(row: Row) -> str:
        return pct(row["rows_rejected"] / row["rows_in"]) if row["rows_in"] else "–"

    figures = [
        [
            escape(row["source"]), num(row["rows_in"]), num(row["rows_valid"]), num(row["rows_rejected"]), rate(row),
            num(row["amount_in"], 2), num(row["amount_rejected"], 2), num(row["orders_without_customer"]),
            num(row["customers_missing"]), num(row["customers_merged"]),
        ]
        for row in data.quality
    ]
    headers = (
        "Source", "Rows in", "Valid", "Rejected", "Rejected %", "Amount in", "Amount rejected",
        "Orders without customer", "Customers missing", "Customers merged",
    )
    reasons = [
        [escape(row["source"]), escape(key.removeprefix("rejected_")), num(value)]
        for row in data.quality for key, value in row.items()
        if key.startswith("rejected_") and value
    ]
    detail = (
        table(("Source", "Reason (docs/rules.md)", "Rows"), reasons, numeric=range(2, 3)) if reasons
        else "<p>No rejected rows: every raw row was accepted.</p>"
    )
    return (
        "<section><h2>Data quality</h2>"
        "<p class=note>From data_quality_summary: every raw row is accepted or rejected with one reason; "
        "amounts are in the rows' own currencies.</p>"
        f"{table(headers, figures, numeric=range(1, len(headers)))}<h3>Rejected rows by reason</h3>{detail}</section>"
    )


def migration_section(data: ReportData) -> str:
    """The from x to segment matrix; nothing when the table does not exist yet."""
    if data.migration is None:
        if not data.migration_columns:
            return ""
        return (
            f"<section><h2>Segment migration</h2><p>Table {MIGRATION_TABLE} exists but lacks the columns "
            f"{', '.join(MIGRATION_COLUMNS)} (it has: {escape(', '.join(data.migration_columns))}).</p></section>"
        )
    counts = {(r["from_segment_code"], r["to_segment_code"]): int(r["customers"] or 0) for r in data.migration}
    names = {s.code: s.name for s in data.segments}
    # Segments in display order, then any code the summary does not know (a segment since removed, NOT_SCORED).
    codes: list[str] = [s.code for s in data.segments] + sorted({c for pair in counts for c in pair} - set(names))
    peak = max(counts.values(), default=0)

    def cell(source: str, target: str) -> str:
        value = counts.get((source, target), 0)
        fill, ink = heat(value / peak if peak else 0.0)
        weight = "font-weight:700;" if source == target else ""
        return f'<td class=num style="background:{fill};color:{ink};{weight}">{num(value)}</td>'

    header = "".join(f"<th class=num>{escape(names.get(c, c))}</th>" for c in codes)
    rows = "".join(
        f"<tr><th>{escape(names.get(s, s))}</th>{''.join(cell(s, t) for t in codes)}</tr>" for s in codes
    )
    return (
        "<section><h2>Segment migration</h2>"
        f"<p class=note>Customers per previous segment (rows) and current segment (columns) in the latest "
        f"period of {MIGRATION_TABLE}; the diagonal (bold) stayed put.</p>"
        f'<table class=matrix><thead><tr><th>from \\ to</th>{header}</tr></thead><tbody>{rows}</tbody></table>'
        "</section>"
    )


STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#1f2933;
  margin:0;background:#f6f7f9}
main{max-width:1240px;margin:0 auto;padding:24px 28px 40px}
h1{margin:0 0 4px;font-size:26px}h2{font-size:19px;margin:0 0 8px}h3{font-size:15px;margin:16px 0 6px}
section{background:#fff;border:1px solid #dde2e8;border-radius:8px;padding:16px 20px;margin:16px 0}
.sub{color:#52606d;margin:0 0 12px}.note,.legend{color:#52606d;font-size:13px;margin:0 0 10px}
.kpis{display:flex;gap:12px;flex-wrap:wrap}
.kpi{background:#fff;border:1px solid #dde2e8;border-radius:8px;padding:10px 16px;min-width:150px}
.kpi b{display:block;font-size:22px}.kpi span{color:#52606d;font-size:12px}
.panels{display:flex;flex-wrap:wrap;gap:18px 28px}
.panel-title{font-size:14px;font-weight:700;fill:#1f2933}.axis{font-size:12px;fill:#52606d}
.cell-count{font-size:15px;font-weight:700;text-anchor:middle}.cell-label{font-size:10px;text-anchor:middle}
.boundary{stroke:#1f2933;stroke-width:3;stroke-linecap:round}.frame{fill:none;stroke:#1f2933;stroke-width:2}
.bar-label{font-size:13px;fill:#1f2933}.bar-value{font-size:12px;fill:#52606d}
table{border-collapse:collapse;font-size:13px;width:100%}
th,td{padding:5px 8px;border-bottom:1px solid #e6e9ee;text-align:left;vertical-align:top}
th{background:#f0f2f5;font-weight:600}.num{text-align:right;white-space:nowrap}
.action{color:#52606d;font-size:12px}td:first-child{white-space:nowrap}.matrix td,.matrix th{text-align:center}
.chip{display:inline-block;width:10px;height:10px;border-radius:2px;margin:0 6px 0 2px}
"""


def render(data: ReportData) -> str:
    rows = [s.row for s in data.segments]
    customers = sum(int(r["customers"] or 0) for r in rows)
    revenue = sum(Decimal(r["revenue"] or 0) for r in rows)
    orders = sum(int(r["orders"] or 0) for r in rows)
    kpis = (
        ("scored customers", num(customers)), ("revenue (base currency)", num(revenue, 2)),
        ("valid purchases", num(orders)), ("average order value", num(revenue / orders, 2) if orders else "–"),
    )
    kpi_html = "".join(f"<div class=kpi><b>{value}</b><span>{escape(label)}</span></div>" for label, value in kpis)
    as_of = escape(str(data.as_of_date)) if data.as_of_date else "– (nobody scored)"
    sections = (grid_section(data), bars_section(data), profile_section(data), quality_section(data),
                migration_section(data))
    return (
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
        # The report must stand alone: the browser refuses anything but its own inline styles.
        "<meta http-equiv=Content-Security-Policy content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        f"<title>RFM report, {as_of}</title><style>{STYLE}</style></head><body><main>"
        f"<h1>RFM report</h1><p class=sub>Customers scored as of {as_of} on {data.levels} score levels "
        f"(R, F and M from 1 to {data.levels}, {data.levels} = best), {len(data.segments)} segments.</p>"
        f"<div class=kpis>{kpi_html}</div>{''.join(sections)}</main></body></html>\n"
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
    png.parent.mkdir(parents=True, exist_ok=True)
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
    parser = argparse.ArgumentParser(
        description="Write the RFM report as one self-contained HTML file (inline CSS and SVG, no script, "
        "no external resource) from the marts in DuckDB."
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="HTML file to write (default: %(default)s)")
    add_database_arguments(parser)
    parser.add_argument("--screenshot", type=Path, metavar="PNG",
                        help="also render the page to this PNG with headless Chromium")
    parser.add_argument("--screenshot-size", type=window_size, default=(1280, 3300), metavar="WxH",
                        help="browser window for --screenshot (default: 1280x3300)")
    return parser.parse_args(argv)


def add_database_arguments(parser: argparse.ArgumentParser) -> None:
    """Where the marts are: the dbt profile's DuckDB target, or an explicit file (shared with kmeans_segments)."""
    parser.add_argument("--database", type=Path,
                        help="DuckDB file holding the marts (default: the published copy of the profile's target)")
    parser.add_argument("--schema", default="main", help="schema of the marts with --database (default: main)")
    parser.add_argument("--target", help="dbt target (default: the profile's target)")
    parser.add_argument("--profiles-dir",
                        help="folder of profiles.yml (default: $DBT_PROFILES_DIR, else the project root)")


def database_of(args: argparse.Namespace) -> tuple[Path, str]:
    """(DuckDB file, schema) of the marts, from the arguments of add_database_arguments."""
    if args.database:
        return args.database, args.schema
    # Only the profile needs jinja2 and yaml (installed with dbt): --database works with duckdb alone.
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _profile import ProfileError, resolve_target

    try:
        target = resolve_target(args.profiles_dir, args.target)
    except ProfileError as exc:
        raise UserError(str(exc)) from None
    if target["type"] != "duckdb" or not target["published_path"]:
        raise UserError(f"target '{target['target_name']}' is not a DuckDB file: pass --database")
    # The copy published by the last successful `dbt build`, never the file dbt may be building in (docs/bi.md).
    return Path(target["published_path"]), str(target.get("schema") or "main")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        database, schema = database_of(args)
        print(f"reading the marts from {database} (schema {schema})", file=sys.stderr)
        data = load(database, schema)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(render(data), encoding="utf-8")
        migration = "included" if data.migration is not None else "skipped (no usable table)"
        print(f"wrote {args.out} ({len(data.segments)} segments; migration matrix {migration})")
        if args.screenshot:
            screenshot(args.out, args.screenshot, args.screenshot_size)
            print(f"wrote {args.screenshot}")
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
