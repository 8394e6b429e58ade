"""The published copy of the marts (docs/bi.md): what BI tools and the scripts read on DuckDB.

`dbt build` writes rfm.duckdb; its on-run-end hook copies the marts to rfm_marts.duckdb through a new file
renamed over the old one, and only when every node succeeded.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
from conftest import DemoData, Workspace, build_edited_copy


def published_as_of(con: duckdb.DuckDBPyConnection) -> str:
    return str(con.execute("select min(as_of_date), max(as_of_date) from main.customer_rfm").fetchone())


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_build_succeeds_while_a_reader_holds_the_published_copy(demo_build: Workspace, tmp_path: Path) -> None:
    ws = demo_build.clone(tmp_path / "ws")
    with duckdb.connect(str(ws.published_path), read_only=True) as held:
        before = published_as_of(held)
        summary = held.execute("select sum(customers) from main.rfm_segment_summary").fetchone()
        ws.dbt("build", vars={"as_of_date": "2025-12-31"}, process=True)  # fails the test on a lock error
        # The reader keeps the copy it opened, consistent across marts, while the new one is in place.
        assert published_as_of(held) == before
        assert held.execute("select count(*) from main.customer_rfm").fetchone() == summary
    with duckdb.connect(str(ws.published_path), read_only=True) as fresh:
        assert published_as_of(fresh) == "(datetime.date(2025, 12, 31), datetime.date(2025, 12, 31))"
        tables = {name for (name,) in fresh.execute("select table_name from information_schema.tables").fetchall()}
    assert {"customer_rfm", "rfm_segment_summary", "rfm_segment_migration", "data_quality_summary",
            "audience_members", "rfm_segment_map", "rfm_segments"} <= tables
    assert not Path(f"{ws.published_path}.next").exists()


def test_reader_on_the_build_database_blocks_dbt(demo_build: Workspace, tmp_path: Path) -> None:
    """Why the copy exists: DuckDB lets one process write a file, and no other open it meanwhile."""
    ws = demo_build.clone(tmp_path / "ws")
    with duckdb.connect(str(ws.db_path), read_only=True):
        proc = ws.dbt("build", "--select", "rfm_segments", expect_ok=False, process=True)
    assert proc.returncode != 0
    assert "lock" in proc.stdout.lower(), proc.stdout[-2000:]


def test_failed_build_leaves_the_published_copy(demo_build: Workspace, demo_data: DemoData, tmp_path: Path) -> None:
    ws = demo_build.clone(tmp_path / "ws")
    before = digest(ws.published_path)

    def unmap_a_cell(project: Path) -> None:
        path = project / "seeds" / "rfm_segment_map.csv"
        path.write_text(path.read_text(encoding="utf-8").replace("4,4,4,champions\n", ""), encoding="utf-8")

    proc = build_edited_copy(ws, demo_data, tmp_path, unmap_a_cell)
    assert proc.returncode != 0, "the build passed with an unmapped cell"
    assert "marts not published" in proc.stdout, proc.stdout[-3000:]
    assert digest(ws.published_path) == before


def test_run_operation_publishes_by_hand(demo_build: Workspace, tmp_path: Path) -> None:
    """For `dbt run` + `dbt test` users: the same copy, outside any transaction dbt would never commit."""
    ws = demo_build.clone(tmp_path / "ws")
    ws.published_path.unlink()
    ws.dbt("run-operation", "rfm_publish_marts")
    with duckdb.connect(str(ws.published_path), read_only=True) as con:
        published = con.execute("select count(*), sum(monetary) from main.customer_rfm").fetchone()
    assert published == ws.query("select count(*), sum(monetary) from main.customer_rfm")[0]
