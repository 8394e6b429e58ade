"""A bad edit of the segment map stops `dbt build` with the offending cell named, before any mart changes.

Each case edits a copy of the project's seed (never the real one), reloads different raw data so that a
rebuilt mart would differ, runs `dbt build`, and checks that the build failed, said which cell is wrong,
and left `customer_rfm` exactly as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import DemoData, Workspace, build_edited_copy

MAP_HEADER = "r_score,f_score,m_score,segment_code"
def edit_map(project: Path, edit: Callable[[list[str]], list[str]]) -> None:
    path = project / "seeds" / "rfm_segment_map.csv"
    header, *rows = path.read_text(encoding="utf-8").splitlines()
    assert header == MAP_HEADER
    path.write_text("\n".join([header, *edit(rows)]) + "\n", encoding="utf-8")


def mart_rows(ws: Workspace) -> list[tuple]:
    return ws.query("select * from main.customer_rfm order by customer_id")


CASES: dict[str, tuple[Callable[[list[str]], list[str]], str]] = {
    "missing cell": (
        lambda rows: [r for r in rows if r != "4,4,4,champions"],
        "cell r_score-f_score-m_score = 4-4-4 has no row in rfm_segment_map",
    ),
    "doubled cell": (
        lambda rows: [*rows, "3,4,4,champions"],
        "cell r_score-f_score-m_score = 3-4-4 appears 2 times in rfm_segment_map",
    ),
    "score out of range": (
        lambda rows: [*[r for r in rows if r != "1,1,1,lost"], "5,1,1,lost"],
        "r_score = 5 is outside 1..4",
    ),
    "unknown segment": (
        lambda rows: [r.replace("4,4,4,champions", "4,4,4,vip") for r in rows],
        'segment_code "vip" is not in rfm_segments.segment_code',
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_map_edit_stops_build_and_keeps_marts(
    case: str, demo_build: Workspace, demo_data: DemoData, tmp_path: Path
) -> None:
    edit, expected_message = CASES[case]
    ws = demo_build.clone(tmp_path / "ws")
    before = mart_rows(ws)
    assert before, "the demo build scored nobody"

    proc = build_edited_copy(ws, demo_data, tmp_path, lambda project: edit_map(project, edit))

    assert proc.returncode != 0, f"dbt build passed with a bad map ({case})"
    assert expected_message in proc.stdout, proc.stdout[-4000:]
    assert "Traceback" not in proc.stdout + proc.stderr
    assert mart_rows(ws) == before, "customer_rfm changed although the seed tests failed"
