"""scripts/report.py end to end: the HTML report of the demo, opened in headless Chromium.

Installs nothing: the browser tests are skipped when /usr/bin/chromium is missing
(`bash scripts/install_chromium.sh` installs it).
"""

from __future__ import annotations

import html
import re
import struct
import subprocess
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest
from conftest import PROJECT_DIR, Workspace

sys.path.insert(0, str(PROJECT_DIR / "scripts"))
import report  # noqa: E402

needs_chromium = pytest.mark.skipif(
    not report.CHROMIUM.exists(), reason=f"{report.CHROMIUM} is missing (bash scripts/install_chromium.sh)"
)
WINDOW = (1280, 2500)
# Anything that would make the page fetch something; the SVG namespace URI is a name, never fetched.
EXTERNAL_REFERENCE = re.compile(
    r"<script|<link|<img|<iframe|@import|url\(|\bsrc=|\bhref=|https?://(?!www\.w3\.org/2000/svg\")"
)


def report_cmd(out: Path, *args: str) -> list[str]:
    return [sys.executable, str(PROJECT_DIR / "scripts" / "report.py"), "--out", str(out), *args]


def run_report(ws: Workspace, out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(report_cmd(out, *args), cwd=PROJECT_DIR, env=ws.env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return proc


def segment_names(ws: Workspace) -> list[str]:
    return [name for (name,) in ws.query("select segment_name from rfm_segments order by display_order")]


@pytest.fixture(scope="module")
def page(demo_build: Workspace, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo report, written through the workspace's dbt profile (no --database)."""
    out = tmp_path_factory.mktemp("report") / "rfm_report.html"
    run_report(demo_build, out)
    return out


def test_report_is_self_contained(page: Path) -> None:
    html = page.read_text(encoding="utf-8")
    assert EXTERNAL_REFERENCE.findall(html) == []
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    # four grid panels (M = 4..1), the segment bars, the flows' uplift plot, predicted CLV, P(alive) by
    # recency, retention per segment
    assert html.count("<svg") == 9
    assert "Segment migration" in html  # the demo builds rfm_segment_migration
    assert "Campaign flows: uplift" in html  # ... and campaign_flow_results


def html_table(page: str, heading: str) -> list[list[str]]:
    """The body rows of the first table after `heading`, as cell texts (tags dropped)."""
    body = page.split(f"<h2>{heading}</h2>", 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [[html.unescape(re.sub(r"<[^>]+>", "", cell)) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)]
            for row in re.findall(r"<tr>(.*?)</tr>", body)]


def mean(total: Decimal, count: int, decimals: int) -> str:
    return f"{(Decimal(total) / count).quantize(Decimal(10) ** -decimals, rounding=ROUND_HALF_UP):,.{decimals}f}"


def test_report_figures_match_marts(demo_build: Workspace, page: Path) -> None:
    """The figures on the page, recomputed from customer_rfm and the raw tables (not from the summary marts
    the report reads)."""
    text = page.read_text(encoding="utf-8")
    per_segment = {name: (n, recency, frequency, monetary) for name, n, recency, frequency, monetary in
                   demo_build.query("select segments.segment_name, count(scored.customer_id), sum(recency_days),"
                                    " sum(frequency), sum(monetary) from rfm_segments as segments left join"
                                    " customer_rfm as scored on scored.segment_code = segments.segment_code"
                                    " group by 1")}
    expected = {name: [f"{n:,}", *([mean(r, n, 1), mean(f, n, 2), mean(m, n, 2)] if n else ["–"] * 3)]
                for name, (n, r, f, m) in per_segment.items()}
    shown = {row[0]: row[1:5] for row in html_table(text, "Average profile per segment")}
    assert shown == expected
    # the bars: customers and revenue of every segment
    for name, (n, _, _, monetary) in per_segment.items():
        assert f"{n:,} customers" in text and f"{monetary or 0:,.2f} revenue" in text, name

    raw = dict(demo_build.query("select 'orders', count(*) from raw.orders union all"
                                " select 'customers', count(*) from raw.customers"))
    rejected = dict(demo_build.query("select source, count(*) from data_quality_rejects group by 1"))
    quality = {row[0]: row[1:4] for row in html_table(text, "Data quality")}
    assert quality == {source: [f"{n:,}", f"{n - rejected.get(source, 0):,}", f"{rejected.get(source, 0):,}"]
                       for source, n in raw.items()}


def test_value_and_retention_charts_match_marts(demo_build: Workspace, page: Path) -> None:
    """Retention per segment summed over the periods, the cohort triangle's cells and the predicted CLV per
    segment, recomputed from the customer-level marts."""
    text = html.unescape(page.read_text(encoding="utf-8"))
    for name, members, retained, windows in demo_build.query(
            "select segment_name, sum(customers), sum(retained_customers), count(*) from rfm_segment_retention"
            " group by segment_name"):
        share = f"{retained / members * 100:.1f} %" if members else "–"
        assert f"{share} of {members:,} members over {windows} periods" in text, name
    for name, clv in demo_build.query(
            "select segments.segment_name, round(sum(predicted.predicted_clv), 2) from int_customers_clv_predicted"
            " as predicted inner join customer_clv as clv on predicted.customer_id = clv.customer_id"
            " inner join rfm_segments as segments on clv.segment_code = segments.segment_code group by 1"):
        assert f"{clv:,.2f} in all" in text, name
    cohorts = html_table(text.split("<h3>Cohort retention</h3>", 1)[1].replace("<p class=note>", "<h2>x</h2><p>", 1), "x")
    (latest,) = demo_build.query("select max(cohort_month) from rfm_cohort_retention")[0]
    (size, month1) = demo_build.query(f"select cohort_customers, active_customers from rfm_cohort_retention"
                                      f" where cohort_month = date '{latest}' - interval 1 month"
                                      f" and months_since_first_purchase = 1")[0]
    row = [row for row in cohorts if row][-2]  # the last cohort but one has a month 1
    assert row[:3] == [f"{size:,}", "100.0 %", f"{month1 / size * 100:.1f} %"]


@needs_chromium
def test_report_renders_every_segment_without_console_messages(demo_build: Workspace, page: Path) -> None:
    proc = report.run_chromium(page, "--enable-logging=stderr", "--v=0", "--dump-dom")
    assert proc.returncode == 0, proc.stderr[-2000:]
    dom = proc.stdout
    names = segment_names(demo_build)
    assert len(names) == 11
    assert [name for name in names if name not in dom] == []  # "Can't Lose Them" is parsed, not escaped text
    assert "Data quality" in dom and "Average profile per segment" in dom
    # The page has no script, so any console line is an error: a CSP refusal, a failed load, a parse error.
    assert [line for line in proc.stderr.splitlines() if ":CONSOLE" in line] == []


@needs_chromium
def test_console_check_sees_errors(tmp_path: Path) -> None:
    """The check above is not vacuous: this Chromium does report console errors on stderr."""
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><p>x</p><script>console.error('marker-1'); missing();</script>", encoding="utf-8")
    proc = report.run_chromium(bad, "--enable-logging=stderr", "--v=0", "--dump-dom")
    console = [line for line in proc.stderr.splitlines() if ":CONSOLE" in line]
    assert any("marker-1" in line for line in console)
    assert any("missing is not defined" in line for line in console)


@needs_chromium
def test_screenshot_is_a_full_png(demo_build: Workspace, page: Path, tmp_path: Path) -> None:
    png = tmp_path / "report.png"
    report.screenshot(page, png, WINDOW)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == WINDOW  # IHDR width, height
    # A blank 1280x2500 page compresses to a few KB; the charts and tables make it far larger.
    assert len(data) > 100_000


def report_after(sql: str, demo_build: Workspace, tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], str]:
    """The report (stdout, HTML) of a clone of the demo database once `sql` changed it."""
    ws = demo_build.clone(tmp_path / "ws")
    with duckdb.connect(str(ws.db_path)) as con:
        con.execute(sql)
    out = tmp_path / "edited.html"
    proc = run_report(ws, out, "--database", str(ws.db_path))
    return proc, out.read_text(encoding="utf-8")


def test_migration_matrix_shows_the_latest_period(demo_build: Workspace, tmp_path: Path) -> None:
    proc, html = report_after(
        "create or replace table main.rfm_segment_migration as "
        "select cast(period as date) as period_start_date, from_segment_code, to_segment_code, customers "
        "from (values ('2026-05-01', 'loyal', 'loyal', 999), ('2026-06-01', 'loyal', 'champions', 12), "
        "('2026-06-01', 'loyal', 'loyal', 150), ('2026-06-01', 'champions', 'gone', 3), "
        "('2026-06-01', null, 'new_customer', 7)) as t(period, from_segment_code, to_segment_code, customers)",
        demo_build, tmp_path,
    )
    assert "migration matrix included" in proc.stdout
    assert "Segment migration" in html and "<th>gone</th>" in html  # unknown codes get a row and a column
    assert "<th>(not scored)</th>" in html  # a null code: customers new since the previous scoring
    assert 'font-weight:700;">150</td>' in html  # loyal -> loyal in the latest period, on the diagonal
    assert ">999<" not in html  # an earlier period is not added in


def test_missing_marts_is_one_line_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    proc = subprocess.run(report_cmd(tmp_path / "x.html", "--database", str(empty)), capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[-1].startswith("error: ") and "run `dbt build` first" in proc.stderr
    assert not (tmp_path / "x.html").exists()


def test_text_from_the_marts_is_escaped(demo_build: Workspace, tmp_path: Path) -> None:
    """Segment names and actions are analysts' text: the template's autoescaping turns markup into text."""
    _, html = report_after(
        "update main.rfm_segment_summary set segment_name = '<script>alert(1)</script>', "
        "recommended_action = '\"><b onmouseover=alert(2)>' where segment_code = 'champions'",
        demo_build, tmp_path,
    )
    assert EXTERNAL_REFERENCE.findall(html) == []
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&#34;&gt;&lt;b onmouseover=alert(2)&gt;" in html
