"""One raw data set built two ways: incrementally in one warehouse (daily appends, never --full-refresh) and
from scratch in another (`dbt build --full-refresh` of the same raw data). Every mart must agree row for row.

Used by the stateful test (test_incremental_stateful.py), its regression tests and the fixed sequence run on
PostgreSQL; the workspaces may be on any engine (tests/python/engines.py).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conftest import TODAY, Workspace
from engines import as_text
from oracle import Row

MARTS = ("customer_rfm", "rfm_segment_summary", "rfm_segment_history", "rfm_segment_migration", "rfm_segment_trend",
         "rfm_segment_entries", "campaign_flow_audience", "campaign_flow_entrants", "campaign_flow_results",
         "customer_lifecycle", "customer_segments", "audience_members", "data_quality_rejects", "data_quality_summary",
         "customer_clv", "rfm_segment_retention", "rfm_cohort_retention")
# Data tests are left out: this compares the two builds' results, and tiny data sets trip the tests that
# want a populated mart (every lifecycle segment non-empty).
BUILD = ("build", "--exclude-resource-type", "unit_test", "snapshot", "test")
# The incremental build runs the one data test that caught a drifting history on real data (issue 15): the
# history's period scored on customer_rfm's date is customer_rfm (it compares nothing unless that date starts
# a period). One more node, not a whole test suite.
INCREMENTAL_BUILD = ("build", "--exclude-resource-type", "unit_test", "snapshot", "--indirect-selection", "empty",
                     "--select", "resource_type:model", "resource_type:seed", "test_name:history_matches_customer_rfm")


def both(first: Callable[[], object], second: Callable[[], object]) -> None:
    """Run two independent steps at once (the two warehouses share nothing): on an engine whose builds wait
    on a server or a JVM, the pair costs little more than one; an exception in either is raised here."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        for future in [pool.submit(first), pool.submit(second)]:
            future.result()


def mart_rows(ws: Any, mart: str) -> list[tuple[str, ...]]:
    """The mart's rows, every value as its repr (same type and same digits), sorted."""
    return sorted(tuple(sorted(row.items())) for row in as_text(ws.read_table("main", mart)))


def edit_segment_map(project: Path, cell: tuple[int, int, int], segment_code: str) -> None:
    """Map one cell of the project copy's seeds/rfm_segment_map.csv to another segment."""
    path = project / "seeds" / "rfm_segment_map.csv"
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        if (int(row["r_score"]), int(row["f_score"]), int(row["m_score"])) == cell:
            row["segment_code"] = segment_code
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


@dataclass
class IncrementalPair:
    incremental: Workspace
    full: Workspace
    orders: list[Row] = field(default_factory=list)
    customers: list[Row] = field(default_factory=list)
    vars: dict[str, str] = field(default_factory=lambda: {"rfm_today": TODAY.isoformat()})
    # order rows the incremental warehouse holds: the rest are appended by the next load
    loaded: int = 0

    def load(self, *, replace: bool = False) -> None:
        """The incremental warehouse appends the new order rows (or takes them all, `replace`); the full one
        always gets everything. Customers are replaced by every load, as scripts/load_raw.py does."""
        new = self.orders[self.loaded:]
        appended = () if replace or self.loaded == 0 or not new else ("--append",)
        both(lambda: self.incremental.load(new if appended else self.orders, self.customers, *appended),
             lambda: self.full.load(self.orders, self.customers))
        self.loaded = len(self.orders)

    def build(self) -> None:
        both(lambda: self.incremental.dbt(*INCREMENTAL_BUILD, vars=self.vars),
             lambda: self.full.dbt(*BUILD, "--full-refresh", vars=self.vars))

    def differences(self, marts: Sequence[str] = MARTS) -> list[str]:
        problems = []
        for mart in marts:
            incremental, full = mart_rows(self.incremental, mart), mart_rows(self.full, mart)
            if incremental != full:
                only_incremental = [r for r in incremental if r not in full][:3]
                only_full = [r for r in full if r not in incremental][:3]
                problems.append(f"{mart}: incremental only {only_incremental}, full refresh only {only_full}")
        return problems

    def step(self, *, replace: bool = False, load: bool = True) -> None:
        """Load (unless only vars or seeds changed), build both ways and compare every mart."""
        if load:
            self.load(replace=replace)
        self.build()
        problems = self.differences()
        assert not problems, "\n".join(problems)
