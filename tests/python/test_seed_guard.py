"""A bad edit of the segment seeds stops `dbt build` with the offending cell named, before any mart changes.

Each case edits a copy of the project's seed (never the real one), reloads different raw data so that a
rebuilt mart would differ, runs `dbt build`, and checks that the build failed, said which cell is wrong,
and left `customer_rfm` exactly as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import DemoData, Workspace, build_edited_copy

MAP_HEADER = "score_levels,r_score,f_score,m_score,segment_code"


def edit_map(project: Path, edit: Callable[[list[str]], list[str]]) -> None:
    path = project / "seeds" / "rfm_segment_map.csv"
    header, *rows = path.read_text(encoding="utf-8").splitlines()
    assert header == MAP_HEADER
    path.write_text("\n".join([header, *edit(rows)]) + "\n", encoding="utf-8")


def append_rows(project: Path, seed: str, *rows: str) -> None:
    path = project / "seeds" / seed
    path.write_text(path.read_text(encoding="utf-8") + "".join(f"{row}\n" for row in rows), encoding="utf-8")


def map_edit(edit: Callable[[list[str]], list[str]]) -> Callable[[Path], None]:
    return lambda project: edit_map(project, edit)


def mart_rows(ws: Workspace, mart: str = "customer_rfm") -> list[tuple]:
    return ws.query(f"select * from main.{mart} order by all")


# Each case: the edit of the project copy, and the lines the build output must contain. A test stops what
# is built from all the seeds it reads: customer_rfm for the map's tests, audience_members (the one mart
# reading both) for a segment without its message.
CASES: dict[str, tuple[Callable[[Path], None], list[str]]] = {
    "missing cell": (
        map_edit(lambda rows: [r for r in rows if r != "4,4,4,4,champions"]),
        ["cell r_score-f_score-m_score = 4-4-4 has no row in rfm_segment_map"],
    ),
    "missing cells, every one listed, grouped": (
        # 16 cells: more than the 20-line cap of other tests once ungrouped, so nothing may be cut
        map_edit(lambda rows: [r for r in rows if not r.startswith("4,4,")]),
        [f"cells r_score-f_score-m_score = 4-{f}-1, 4-{f}-2, 4-{f}-3, 4-{f}-4 have no row in rfm_segment_map"
         for f in range(1, 5)],
    ),
    "doubled cell": (
        map_edit(lambda rows: [*rows, "4,3,4,4,champions"]),
        ["cell r_score-f_score-m_score = 3-4-4 (2 rows) is mapped more than once in rfm_segment_map"],
    ),
    "score out of range": (
        map_edit(lambda rows: [*[r for r in rows if r != "4,1,1,1,lost"], "4,5,1,1,lost"]),
        ["r_score = 5 is outside 1..4"],
    ),
    "unknown segment, named with its cells": (
        map_edit(lambda rows: [r.replace("4,3,1,1,promising", "4,3,1,1,Promising")
                               .replace("4,3,1,2,promising", "4,3,1,2,Promising") for r in rows]),
        ['segment_code "Promising" is not in rfm_segments.segment_code '
         "(score_levels-r_score-f_score-m_score = 4-3-1-1, 4-3-1-2)"],
    ),
    "holdout share of 1, named with its flow": (
        lambda project: (project / "seeds" / "campaign_flows.csv").write_text(
            (project / "seeds" / "campaign_flows.csv").read_text(encoding="utf-8")
            .replace("win_back_at_risk,at_risk,2026-05-01,false,0.2,", "win_back_at_risk,at_risk,2026-05-01,false,1,"),
            encoding="utf-8"),
        ["holdout_share = 1.0000 is outside 0..0.9999 (flow_code = win_back_at_risk)"],
    ),
    "segment without its message": (
        lambda project: append_rows(project, "rfm_segments.csv",
                                    "vip_at_risk,VIP at risk,VIP à risque,12,Big spenders slipping.,Call them.,true,#000000"),
        ['segment_code "vip_at_risk" is not in segment_messages.segment_code (1 rows): add its default message'],
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_seed_edit_stops_build_and_keeps_marts(
    case: str, demo_build: Workspace, demo_data: DemoData, tmp_path: Path
) -> None:
    edit, expected_lines = CASES[case]
    mart = {"segment without its message": "audience_members",
            "holdout share of 1, named with its flow": "campaign_flow_audience"}.get(case, "customer_rfm")
    ws = demo_build.clone(tmp_path / "ws")
    before = mart_rows(ws, mart)
    assert before, "the demo build scored nobody"

    proc = build_edited_copy(ws, demo_data, tmp_path, edit)

    assert proc.returncode != 0, f"dbt build passed with a bad seed edit ({case})"
    for line in expected_lines:
        assert line in proc.stdout, proc.stdout[-4000:]
    assert " more\n" not in proc.stdout, "problems were cut from the list"
    assert "Traceback" not in proc.stdout + proc.stderr
    assert mart_rows(ws, mart) == before, f"{mart} changed although the seed tests failed"


def test_map_edit_that_empties_a_flow_segment_warns_naming_the_flow(
    demo_build: Workspace, demo_data: DemoData, tmp_path: Path
) -> None:
    """Moving 4-1-1, New Customer's only cell, leaves flow welcome_second_order with nobody to target: the
    build goes on (the map is valid) but says so."""
    ws = demo_build.clone(tmp_path / "ws")
    proc = build_edited_copy(ws, demo_data, tmp_path,
                             map_edit(lambda rows: [r.replace("4,4,1,1,new_customer", "4,4,1,1,promising") for r in rows]))
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert ('segment_code "new_customer" is not in rfm_segment_map.segment_code (flow_code = welcome_second_order): '
            "no cell of the active segment map leads to it, so the flow targets nobody") in proc.stdout, proc.stdout[-4000:]
    assert ws.query("select count(*) from main.customer_rfm where segment_code = 'new_customer'") == [(0,)]
