#!/usr/bin/env python3
"""Benchmark the RFM dbt build against a hand-written DuckDB query (the floor) and a pandas implementation.

For each size (orders), on one generated clean data set (scripts/generate_demo_data.py, 10 orders per
customer), in one run:

1. `dbt build` of the RFM models (seeds through `customer_rfm` and `rfm_segment_summary`), without and with
   tests;
2. the same per-customer result as one hand-written DuckDB SQL query over the raw text tables;
3. a pandas implementation tuned as a careful user would write it (Arrow strings parsed by pyarrow, integer
   cents, integer keys, NTILE from a lexsort) reading the generated Parquet files;
4. dbt's fixed cost: the same build on a 1,000-order data set, taken apart into start-up (Python, dbt and
   the adapter imported), reading the saved parse, compiling and running (and a parse from scratch);

and, with --daily, the incremental daily path: the largest size plus 0.1 % new orders (a new day, with
refunds of old orders and late-arriving rows), `dbt build` (incremental) against `dbt build --full-refresh`,
whose marts must be the same, for the RFM models and, with --whole-project, the whole project (both node by
node), and with --dirty on the dirty shape too;
with --dirty, the largest size on the demo's dirty shape (--dirty-share of bad and messy rows on top: every
reject reason, email merges) built and queried bare again; with --whole-project, the whole project built as
well (every model, not only the RFM ones) at the fixed cost's size, at each size and on the dirty shape.

With --spark-cluster, each size is also loaded (scripts/load_raw.py over Thrift, as Parquet files in the
--work folder, which the cluster must read at the same path) and built on the Spark cluster of the
`spark_cluster` target (RFM_SPARK_THRIFT_HOST and _PORT; docs/engines.md), in databases of its own dropped
afterwards, and its customer_rfm compared with DuckDB's customer by customer. Informational:
`bash scripts/engines/spark-cluster.sh` starts a two-worker cluster on this machine for the command it runs.

Each step runs as a subprocess whose wall time and peak RSS (the whole process tree, polled with psutil)
are recorded. Where the time goes, node by node, is read from dbt's run_results.json of the measured build
and of the same build again with one dbt thread (one node at a time: each figure is that node's own). The
three implementations are compared customer by customer (scores and segment). Results go to
docs/benchmarks.md (table, machine, date, command, targets) and docs/benchmarks.png.

Needs requirements.txt + requirements-benchmark.txt. Example (quick run):
    python scripts/benchmark.py --sizes 100000,300000 --work /tmp/rfm_bench
and with a Spark cluster column (requirements-spark.txt too; at 1M orders the Thrift server, which builds
the tables Spark broadcasts, needs more than its default 1g):
    PATH=$PWD/.venv/bin:$PATH RFM_SPARK_DRIVER_MEMORY=4g RFM_SPARK_EXECUTOR_MEMORY=4g \
        bash scripts/engines/spark-cluster.sh python scripts/benchmark.py --sizes 1000000,10000000 --spark-cluster
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent))
import rfm_cli  # noqa: E402
import rfm_cli.workspace  # noqa: E402
from rfm_cli.profile import connect_spark_thrift, published_path, resolve_target  # noqa: E402
from rfm_cli.workspace import BIN_DIR, DB_FILE  # noqa: E402

PROJECT_DIR = rfm_cli.PROJECT_ROOT
TODAY = "2026-11-25"  # var rfm_today: the generated data ends 2026-06-30, so nothing is future-dated
FIXED_COST_ORDERS = 1000
ORDERS_PER_CUSTOMER = 10
RFM_SELECT = "+customer_rfm +rfm_segment_summary"
# customer_rfm reads the segment history (docs/history.md), which re-scores every order once per period:
# the benchmark turns it off (var rfm_history_start 0), like for like with the bare query and pandas, which
# compute no previous segment either; --history-periods 12 measures the default.
HISTORY_PERIODS = {"value": 0}
GiB = 1024**3


# --------------------------------------------------------------------------------------------- measuring
@dataclass
class Measure:
    label: str
    orders: int
    seconds: float
    peak_rss_bytes: int
    returncode: int


def run_measured(label: str, orders: int, cmd: Sequence[str], env: dict[str, str], log: Path) -> Measure:
    """Run cmd, polling the RSS of its whole process tree every 50 ms; fail loudly on a non-zero exit."""
    import psutil

    started = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen(list(cmd), cwd=PROJECT_DIR, env=env, stdout=out, stderr=subprocess.STDOUT)
        peak = 0
        root = psutil.Process(proc.pid)
        while proc.poll() is None:
            try:
                tree = [root, *root.children(recursive=True)]
                rss = 0
                for p in tree:
                    try:
                        rss += p.memory_info().rss
                    except psutil.Error:
                        pass
                peak = max(peak, rss)
            except psutil.Error:
                pass
            time.sleep(0.05)
    seconds = time.perf_counter() - started
    measure = Measure(label, orders, seconds, peak, proc.returncode)
    status = "ok" if proc.returncode == 0 else f"FAILED (exit {proc.returncode}, see {log})"
    progress(f"  {label:<28} {orders:>12,} orders  {seconds:8.2f} s  peak {peak / GiB:6.2f} GiB  {status}")
    if proc.returncode != 0:
        raise SystemExit(f"{label} failed; log: {log}")
    return measure


def run_results(target: Path) -> list[dict]:
    """The results of the last dbt run in `target` (its run_results.json)."""
    return json.loads((target / "run_results.json").read_text(encoding="utf-8"))["results"]


def model_results(target: Path) -> list[dict]:
    """The models' results of the last dbt run in `target`."""
    return [r for r in run_results(target) if r["unique_id"].startswith("model.")]


def node_times(target: Path) -> dict[str, float]:
    """Seconds per model, seed and hook of the last dbt run in `target` (no test), slowest first."""
    times = {r["unique_id"].split(".")[-1]: float(r["execution_time"]) for r in run_results(target)
             if r["unique_id"].startswith(("model.", "seed.", "operation.")) and r["status"] == "success"}
    return dict(sorted(times.items(), key=lambda item: -item[1]))


def alone_times(ws: Workspace, build: Sequence[str]) -> dict[str, float]:
    """Seconds per node of `build` run again with one dbt thread. With two, models overlap and share the two
    cores, so a model's time is partly its neighbour's; one at a time, each figure is the node's own and they
    add up to the run's node time. (On two cores one thread builds as fast: DuckDB already uses both.)"""
    # without it, the published copy of marts built from the same inputs is kept (docs/bi.md), not timed
    Path(published_path(str(ws.db_path))).unlink(missing_ok=True)
    ws.check([*build, "--threads", "1"])
    return node_times(ws.target)


def progress(message: str) -> None:
    print(f"[{datetime.now(timezone.utc):%H:%M:%S}] {message}", flush=True)


# ------------------------------------------------------------------------------------------ workspaces
class Workspace(rfm_cli.workspace.Workspace):
    raw_schema = "raw"

    @property
    def target(self) -> Path:
        """dbt's target path: run_results.json of the last run is there."""
        return self.root / "target"

    def dbt(self, *args: str) -> list[str]:
        return [
            str(BIN_DIR / "dbt"), *args, "--target-path", str(self.target),
            "--log-path", str(self.root / "logs"),
            "--vars", json.dumps({"rfm_today": TODAY, "rfm_history_start": str(HISTORY_PERIODS["value"]),
                                  "rfm_raw_schema": self.raw_schema}),
        ]

    def build(self, *extra: str, tests: bool = False, command: str = "build", whole: bool = False) -> list[str]:
        """`dbt build` (or `command`) of the RFM models, or of the whole project, (with their tests, or none),
        plus `extra` arguments."""
        # (`dbt compile` has no --exclude-resource-type)
        exclude = [] if tests else ["--exclude", "resource_type:test", "resource_type:unit_test"]
        select = [] if whole else ["--select", *RFM_SELECT.split()]
        return self.dbt(command, *select, *exclude, *extra)

    def whole_build(self, orders: int, label: str) -> Measure:
        """The whole project built from its raw tables (every model, none kept), without tests."""
        return run_measured(label, orders, self.build("--full-refresh", whole=True), self.env,
                            self.root / f"{label.replace(' ', '_')}.log")

    def check(self, cmd: Sequence[str]) -> None:
        proc = subprocess.run(list(cmd), cwd=PROJECT_DIR, env=self.env, capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")


class ClusterWorkspace(Workspace):
    """The `spark_cluster` target, in databases of its own on the server: <folder name>_main and _raw."""

    @property
    def raw_schema(self) -> str:  # type: ignore[override]
        return f"{self.root.name}_raw"

    @property
    def env(self) -> dict[str, str]:
        return {**super().env, "RFM_TARGET": "spark_cluster", "RFM_SPARK_SCHEMA": f"{self.root.name}_main"}

    def rows(self, sql: str) -> list[tuple]:
        server = resolve_target(str(self.root / "profiles"), "spark_cluster")
        from pyhive.exc import Error

        con = connect_spark_thrift(server, "default")
        try:
            cur = con.cursor()
            cur.execute(sql)
            return cur.fetchall() if sql.lstrip().lower().startswith("select") else []
        except Error as exc:  # its text is the server's whole Java stack: its message says what failed
            status = getattr(exc.args[0], "status", None) if exc.args else None
            raise rfm_cli.UserError(f"the Spark cluster failed on `{sql[:60]}...`: "
                                    f"{getattr(status, 'errorMessage', None) or exc}") from exc
        finally:
            con.close()


def generate(out: Path, orders: int, seed: int, dirty_share: float = 0.0) -> tuple[Path, Path]:
    """The generator's data in `out` (kept: made once per folder); `dirty_share` of bad and messy rows on top."""
    customers = max(10, orders // ORDERS_PER_CUSTOMER)
    if not (out / "orders.parquet").exists():
        progress(f"generating {orders:,} orders, {customers:,} customers, dirty share {dirty_share:g}")
        subprocess.run(
            [sys.executable, str(PROJECT_DIR / "scripts" / "generate_demo_data.py"), "--out", str(out),
             "--orders", str(orders), "--customers", str(customers), "--format", "parquet", "--seed", str(seed),
             "--dirty-share", str(dirty_share)],
            check=True, capture_output=True, text=True,
        )
    return out / "orders.parquet", out / "customers.parquet"


def loaded_workspace(root: Path, orders: Path, customers: Path) -> Workspace:
    """A workspace whose database holds only the raw tables of these files (nothing from an earlier run)."""
    ws = Workspace(root)
    ws.db_path.unlink(missing_ok=True)
    load(ws, orders, customers)
    return ws


def load_command(ws: Workspace, orders: Path, customers: Path, *extra: str) -> list[str]:
    return [sys.executable, str(PROJECT_DIR / "scripts" / "load_raw.py"), "--orders", str(orders),
            "--customers", str(customers), "--profiles-dir", str(ws.root / "profiles"), "--schema", ws.raw_schema,
            *extra]


def load(ws: Workspace, orders: Path, customers: Path, *extra: str) -> None:
    ws.check(load_command(ws, orders, customers, *extra))
    # parse once, untimed: every timed build then starts from dbt's partial-parse cache, as day-to-day runs do
    ws.check(ws.dbt("parse"))


def fixed_cost_parts(ws: Workspace, runs: int = 3) -> dict[str, float]:
    """dbt's fixed cost taken apart on the small workspace by timing commands that each do one step more than
    the one before (start-up, `dbt parse` from the saved parse, `dbt compile`, the build), the fastest of
    `runs` each: differences of single runs on a shared machine can come out negative."""
    def seconds(label: str, cmd: Sequence[str]) -> float:
        log = ws.root / f"{label.replace(' ', '_')}.log"
        return min(run_measured(label, FIXED_COST_ORDERS, cmd, ws.env, log).seconds for _ in range(runs))

    startup = seconds("start-up", [str(BIN_DIR / "python"), "-c", "import dbt.cli.main, dbt.adapters.duckdb.impl"])
    parse = seconds("parse (saved)", ws.dbt("parse"))
    compiled = seconds("compile", ws.build(command="compile"))
    build = seconds("build", [*ws.build(), "--full-refresh"])  # every model built, none kept
    cold = seconds("parse (from scratch)", ws.dbt("parse", "--no-partial-parse"))
    return {"start-up": startup, "saved parse": parse - startup, "compile": compiled - parse,
            "run": build - compiled, "parse from scratch": cold - startup}


# -------------------------------------------------------------------------------------- bare DuckDB SQL
def bare_sql(seeds: Path = PROJECT_DIR / "seeds") -> str:
    """The RFM result in one query over the raw text tables, for clean data (no rejects, no email merges):
    parse and convert once, net refunds, aggregate per customer, NTILE over the per-customer table. On dirty
    data it runs too (what does not parse is left out, nothing is checked or merged): a floor, not a result."""
    return f"""
create or replace table bare_rfm as
with
rates as (select currency_code, cast(rate_to_base as decimal(18, 6)) as rate_to_base from read_csv('{seeds / "currency_rates.csv"}', all_varchar = true)),
statuses as (select status, is_purchase from read_csv('{seeds / "order_statuses.csv"}')),
segment_map as (select * from read_csv('{seeds / "rfm_segment_map.csv"}') where score_levels = 4),
orders as (
    select
        trim(o.order_id) as order_id,
        trim(o.customer_id) as customer_id,
        try_cast(substr(trim(o.ordered_at), 1, 10) as date) as ordered_date,
        try_cast(trim(o.order_total) as decimal(18, 2)) as order_total,
        trim(o.refund_of_order_id) as refund_of_order_id,
        coalesce(s.is_purchase, nullif(trim(o.status), '') is null) as is_purchase_status,
        cast(round(try_cast(trim(o.order_total) as decimal(18, 2))
            * coalesce(r.rate_to_base, 1), 2) as decimal(18, 2)) as total_base
    from raw.orders as o
    left join statuses as s on lower(trim(o.status)) = s.status
    left join rates as r on upper(trim(o.currency)) = r.currency_code
),
as_of as (
    select max(ordered_date) + 1 as as_of_date
    from orders
    where refund_of_order_id is null and is_purchase_status and order_total > 0
),
refunds as (
    select refund_of_order_id as order_id, sum(total_base) as refunded
    from orders, as_of
    where refund_of_order_id is not null and ordered_date <= as_of_date
    group by all
),
per_customer as (
    select
        o.customer_id,
        max(o.ordered_date) as last_order_date,
        count(*) as frequency,
        sum(o.total_base + coalesce(f.refunded, 0)) as monetary
    from orders as o
    cross join as_of
    left join refunds as f on o.order_id = f.order_id
    where o.refund_of_order_id is null and o.is_purchase_status and o.ordered_date <= as_of_date
        and o.total_base + coalesce(f.refunded, 0) > 0 and o.customer_id is not null
    group by o.customer_id
),
scored as (
    select
        p.customer_id,
        as_of_date - p.last_order_date as recency_days,
        p.frequency,
        p.monetary,
        ntile(4) over (order by as_of_date - p.last_order_date desc, p.customer_id) as r_score,
        ntile(4) over (order by p.frequency, p.customer_id) as f_score,
        ntile(4) over (order by p.monetary, p.customer_id) as m_score
    from per_customer as p cross join as_of
)
select s.*, m.segment_code
from scored as s
left join segment_map as m using (r_score, f_score, m_score)
"""


def run_bare(db: Path) -> None:
    import duckdb

    # dbt's settings: the workspace's profile (its DBT_PROFILES_DIR is in the environment this runs in)
    settings = resolve_target()["settings"]
    con = duckdb.connect(str(db))
    con.execute(f"set threads = {int(settings['threads'])}")
    con.execute(f"set memory_limit = '{settings['memory_limit']}'")
    con.execute(bare_sql())
    con.close()


# ----------------------------------------------------------------------------------------------- pandas
def ntile(position: "object", n: int, levels: int) -> "object":
    """SQL NTILE(levels) for 0-based positions in a sorted list of n rows (numpy arrays)."""
    import numpy as np

    size, extra = divmod(n, levels)
    big = extra * (size + 1)
    return np.where(
        position < big, position // (size + 1) + 1, extra + (position - big) // max(size, 1) + 1
    ).astype("int64")


def lookup(values: "object", mapping: dict, default: object) -> "object":
    """mapping[value] for each value of a low-cardinality Arrow string column (default when absent or null),
    through its dictionary encoding: a per-row dict look-up costs seconds per million rows."""
    import numpy as np
    import pyarrow.compute as pc

    encoded = values.combine_chunks().dictionary_encode()  # type: ignore[attr-defined]
    table = np.array([mapping.get(v, default) for v in encoded.dictionary.to_pylist()] + [default])
    return table[pc.fill_null(encoded.indices, len(table) - 1).to_numpy()]


def run_pandas(orders_path: Path, out: Path) -> None:
    """As a careful pandas user would write it: Arrow strings parsed by pyarrow, integer cents, keys
    factorised to integers (sorted, so that the customer_id tie-break is an integer one), NTILE from a
    lexsort. Clean data only, like the bare query."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    seeds = PROJECT_DIR / "seeds"
    rates = pd.read_csv(seeds / "currency_rates.csv", dtype=str)
    statuses = pd.read_csv(seeds / "order_statuses.csv", dtype=str)
    segment_map = pd.read_csv(seeds / "rfm_segment_map.csv").query("score_levels == 4").drop(columns="score_levels")

    t = pq.read_table(orders_path, columns=["order_id", "customer_id", "ordered_at", "order_total", "status",
                                            "currency", "refund_of_order_id"])
    text = {name: pc.utf8_trim_whitespace(t[name]) for name in t.column_names}
    del t
    # amounts in whole cents, and rates in millionths, so that conversion is exact integer arithmetic
    cents = pc.cast(pc.multiply(pc.cast(text["order_total"], pa.decimal128(18, 2)), 100), pa.int64()).to_numpy()
    micro = dict(zip(rates["currency_code"], (rates["rate_to_base"].astype(float) * 1e6).round().astype("int64")))
    rate = lookup(pc.utf8_upper(text["currency"]), micro, 1_000_000)
    scaled = cents * rate
    base = np.sign(scaled) * ((np.abs(scaled) + 500_000) // 1_000_000)  # half away from zero
    day = pc.cast(pc.strptime(pc.utf8_slice_codeunits(text["ordered_at"], 0, 10), "%Y-%m-%d", "s"), pa.date32())
    day = day.to_numpy().astype("datetime64[D]").astype("int64")
    purchase = dict(zip(statuses["status"], statuses["is_purchase"] == "true"))
    is_purchase_status = lookup(pc.utf8_lower(text["status"]), purchase, False)
    is_refund = pc.is_valid(text["refund_of_order_id"]).to_numpy(zero_copy_only=False)
    # one integer per customer id, in the ids' sorted order
    encoded = text["customer_id"].combine_chunks().dictionary_encode()
    order = pc.sort_indices(encoded.dictionary).to_numpy()
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    customer_code, customers = rank[encoded.indices.to_numpy()], encoded.dictionary.take(order).to_numpy(zero_copy_only=False)

    as_of = day[~is_refund & is_purchase_status & (cents > 0)].max() + 1
    # refunds (a few) summed per refunded order id; each purchase finds its sum by a hash look-up of its id
    counted = is_refund & (day <= as_of)
    refunded_ids = text["refund_of_order_id"].filter(pa.array(counted)).combine_chunks().dictionary_encode()
    refund_sums = np.bincount(refunded_ids.indices.to_numpy(), weights=base[counted], minlength=len(refunded_ids.dictionary))
    keep = ~is_refund & is_purchase_status & (day <= as_of)
    position = pc.index_in(text["order_id"].filter(pa.array(keep)), value_set=refunded_ids.dictionary)
    position = pc.fill_null(position, -1).to_numpy()
    del text
    net = base[keep] + np.where(position >= 0, refund_sums[position].round().astype("int64"), 0)
    valid = net > 0
    cust, net, pday = customer_code[keep][valid], net[valid], day[keep][valid]
    frequency = np.bincount(cust, minlength=len(customers))
    monetary = np.bincount(cust, weights=net, minlength=len(customers))  # float64: exact below 2**53 cents
    last_day = np.full(len(customers), np.iinfo("int64").min)
    np.maximum.at(last_day, cust, pday)
    present = np.flatnonzero(frequency)
    recency = as_of - last_day[present]
    per = pd.DataFrame({"customer_id": customers[present], "recency_days": recency,
                        "frequency": frequency[present], "monetary": monetary[present].round().astype("int64")})
    n = len(per)
    for score, metric in (("r", -recency), ("f", per["frequency"].to_numpy()), ("m", per["monetary"].to_numpy())):
        scores = np.empty(n, dtype="int64")
        scores[np.lexsort((present, metric))] = ntile(np.arange(n), n, 4)  # present: the sorted id's rank
        per[f"{score}_score"] = scores
    per = per.merge(segment_map, on=["r_score", "f_score", "m_score"], how="left")
    per["monetary"] = per["monetary"] / 100
    per[["customer_id", "recency_days", "frequency", "monetary", "r_score", "f_score", "m_score",
         "segment_code"]].to_parquet(out, index=False)


# ------------------------------------------------------------------------------------------ comparing
def compare(ws: Workspace, pandas_out: Path) -> dict[str, int]:
    """Customer-by-customer differences of scores/segment between dbt, bare SQL and pandas."""
    import duckdb

    con = duckdb.connect(str(ws.db_path), read_only=True)
    key = "r_score, f_score, m_score, segment_code, recency_days, frequency, monetary"
    dbt_rows = f"select customer_id, {key} from main.customer_rfm"
    bare_rows = f"select customer_id, {key} from main.bare_rfm"
    pandas_rows = f"select customer_id, {key.replace('monetary', 'cast(monetary as decimal(38, 2)) as monetary')} from read_parquet('{pandas_out}')"

    def diff(a: str, b: str) -> int:
        return int(con.execute(f"select count(*) from (({a}) except ({b})) union all (({b}) except ({a}))").fetchone()[0])  # type: ignore[index]

    def diff_count(a: str, b: str) -> int:
        return int(con.execute(f"select count(*) from ((({a}) except all ({b})) union all (({b}) except all ({a})))").fetchone()[0])  # type: ignore[index]

    result = {
        "customers_dbt": int(con.execute("select count(*) from main.customer_rfm").fetchone()[0]),  # type: ignore[index]
        "rejected_rows": int(con.execute("select count(rejection_reason) from main.int_orders_validated").fetchone()[0]),  # type: ignore[index]
        "merged_customers": int(con.execute("select count(*) from main.int_customer_ids_mapped where is_merged").fetchone()[0]),  # type: ignore[index]
        "dbt_vs_bare": diff_count(dbt_rows, bare_rows),
        "dbt_vs_pandas": diff_count(dbt_rows, pandas_rows),
    }
    con.close()
    del diff
    return result


def bench_cluster(orders: int, orders_path: Path, customers_path: Path, work: Path, duck: Workspace) -> dict[str, object]:
    """Load and build `orders` on the Spark cluster, and count the customers whose customer_rfm row differs
    from DuckDB's (scores, segment, recency, frequency, monetary: compared as text, digit for digit)."""
    ws = ClusterWorkspace(work / f"rfm_bench_{orders}")
    try:
        # SQL literals over Thrift take minutes per million orders: the cluster on this machine reads files
        loading = run_measured("load_raw.py over Thrift", orders, load_command(
            ws, orders_path, customers_path, "--spark-shared-dir", str(work)), ws.env, ws.root / "cluster_load.log")
        ws.check(ws.dbt("parse"))
        build = run_measured("dbt build on Spark cluster", orders, ws.build(), ws.env, ws.root / "cluster_build.log")
        columns = "customer_id, r_score, f_score, m_score, segment_code, recency_days, frequency, monetary"
        # Collected over Thrift, a million customers' rows ran the Thrift server out of memory: the cluster
        # writes them to a Parquet folder here (as the loader's --spark-shared-dir), DuckDB reads it.
        exported = work / f"cluster_rfm_{orders}"
        ws.rows(f"insert overwrite directory '{exported}' using parquet "
                f"select {columns} from {ws.root.name}_main.customer_rfm")
        import duckdb

        with duckdb.connect(str(duck.db_path), read_only=True) as con:
            on_duckdb = Counter(tuple(map(str, row)) for row in con.execute(f"select {columns} from main.customer_rfm").fetchall())
            on_cluster = Counter(tuple(map(str, row)) for row in con.execute(
                f"select {columns} from read_parquet('{exported}/*.parquet')").fetchall())
        shutil.rmtree(exported)
        differing = len({row[0] for row in (on_duckdb - on_cluster) + (on_cluster - on_duckdb)})
        progress(f"  Spark cluster: {differing} of {on_duckdb.total():,} customers differ from DuckDB")
        return {"load": asdict(loading), "build": asdict(build), "differing_customers": differing,
                "customers": on_duckdb.total()}
    finally:
        for suffix in ("main", "raw"):
            ws.rows(f"drop database if exists {ws.root.name}_{suffix} cascade")


# ----------------------------------------------------------------------------------------------- daily
def append_day(orders: Path, customers: Path, out: Path, share: float) -> tuple[Path, Path]:
    """A day's new rows for `orders` and `customers` (loaded with load_raw.py --append): `share` new orders on
    the day after the last one, refunds of old orders and late-arriving rows; `share` of the customers with a
    changed record (consent withdrawn, which replaces their earlier record)."""
    import duckdb

    con = duckdb.connect()
    target, changed = out / "orders.parquet", out / "customers.parquet"
    con.execute(f"""
        copy (
            select * replace ('false' as accepts_marketing)
            from read_parquet('{customers}')
            where hash(customer_id) % 10000 < {int(share * 10000)}
        ) to '{changed}' (format parquet, compression zstd)
    """)
    con.execute(f"""
        copy (
            -- new orders of existing customers on 2026-07-01
            select 'N' || substr(order_id, 2) as order_id, customer_id,
                   '2026-07-01' || substr(ordered_at, 11) as ordered_at, order_total, status, currency,
                   cast(null as varchar) as refund_of_order_id
            from read_parquet('{orders}')
            where refund_of_order_id is null and hash(order_id) % 10000 < {int(share * 10000)}
            union all
            -- late-arriving rows dated a few days back, and refunds of old orders
            select 'L' || substr(order_id, 2), customer_id, '2026-06-28 12:00:00', order_total, status, currency, null
            from read_parquet('{orders}')
            where refund_of_order_id is null and hash(order_id) % 100000 = 7
            union all
            select 'R' || substr(order_id, 2), customer_id, '2026-07-01 09:00:00', '-1.00', 'completed', currency,
                   order_id
            from read_parquet('{orders}')
            where refund_of_order_id is null and status in ('completed', 'shipped', 'delivered')
                and try_cast(order_total as decimal(18, 2)) > 5 and hash(order_id) % 100000 = 3
        ) to '{target}' (format parquet, compression zstd)
    """)
    return target, changed


# ------------------------------------------------------------------------------------------------ main
@dataclass
class SizeResult:
    orders: int
    dbt: Measure
    dbt_tests: Measure
    bare: Measure
    pandas: Measure
    agreement: dict[str, int] = field(default_factory=dict)
    breakdown: dict[str, float] = field(default_factory=dict)
    cluster: dict[str, object] | None = None  # bench_cluster's result, with --spark-cluster
    whole: Measure | None = None  # the whole project, with --whole-project
    alone: dict[str, float] = field(default_factory=dict)  # alone_times of the build


def bench_size(orders: int, work: Path, seed: int, with_tests: bool = True, cluster: bool = False,
               whole: bool = False) -> SizeResult:
    progress(f"== {orders:,} orders")
    orders_path, customers_path = generate(work / f"data_{orders}", orders, seed)
    ws = loaded_workspace(work / f"ws_{orders}", orders_path, customers_path)
    logs = ws.root
    no_tests = ws.build()
    dbt_m = run_measured("dbt build (no tests)", orders, no_tests, ws.env, logs / "dbt_no_tests.log")
    breakdown = node_times(ws.target)
    alone = alone_times(ws, ws.build("--full-refresh"))
    if with_tests:
        # --full-refresh: the incremental models must not reuse the facts of the build just before
        all_tests = ws.build("--indirect-selection", "cautious", "--full-refresh", tests=True)
        dbt_t = run_measured("dbt build (with tests)", orders, all_tests, ws.env, logs / "dbt_tests.log")
    else:
        dbt_t = dbt_m
    bare = run_measured("bare DuckDB SQL", orders, [sys.executable, __file__, "_bare", str(ws.db_path)], ws.env,
                        logs / "bare.log")
    pandas_out = ws.root / "pandas_rfm.parquet"
    pdm = run_measured("pandas", orders, [sys.executable, __file__, "_pandas", str(orders_path), str(pandas_out)],
                       ws.env, logs / "pandas.log")
    agreement = compare(ws, pandas_out)
    progress(f"  agreement: {agreement}")
    spark = bench_cluster(orders, orders_path, customers_path, work, ws) if cluster else None
    whole_m = ws.whole_build(orders, "whole project (no tests)") if whole else None
    return SizeResult(orders, dbt_m, dbt_t, bare, pdm, agreement, breakdown, spark, whole_m, alone)


@dataclass
class DirtyResult:
    orders: int  # clean orders; the bad and messy rows come on top
    share: float
    dbt: Measure
    bare: Measure
    raw_orders: int
    rejected_orders: int
    customers: int
    breakdown: dict[str, float]
    whole: Measure | None
    alone: dict[str, float] = field(default_factory=dict)


def bench_dirty(orders: int, work: Path, seed: int, share: float, whole: bool) -> DirtyResult:
    """The build on the demo's dirty shape (`share` of bad and messy rows: every reject reason, email merges)
    against the bare query, which reads the same raw tables and checks nothing."""
    progress(f"== dirty: {orders:,} orders + {share:.0%} bad and messy rows")
    orders_path, customers_path = generate(work / f"data_{orders}_dirty", orders, seed, share)
    ws = loaded_workspace(work / f"ws_{orders}_dirty", orders_path, customers_path)
    dbt_m = run_measured("dbt build, dirty (no tests)", orders, ws.build(), ws.env, ws.root / "dbt_no_tests.log")
    breakdown = node_times(ws.target)
    alone = alone_times(ws, ws.build("--full-refresh"))
    bare = run_measured("bare DuckDB SQL, dirty", orders, [sys.executable, __file__, "_bare", str(ws.db_path)],
                        ws.env, ws.root / "bare.log")
    import duckdb

    with duckdb.connect(str(ws.db_path), read_only=True) as con:
        raw, rejected, customers = con.execute(
            "select (select count(*) from raw.orders), (select count(rejection_reason) from main.int_orders_validated),"
            " (select count(*) from main.customer_rfm)").fetchone()  # type: ignore[misc]
    progress(f"  {rejected:,} of {raw:,} raw orders rejected, {customers:,} customers scored")
    whole_m = ws.whole_build(orders, "whole project, dirty") if whole else None
    return DirtyResult(orders, share, dbt_m, bare, raw, rejected, customers, breakdown, whole_m, alone)


@dataclass
class DailyResult:
    label: str  # what was built: the RFM models or the whole project, on which shape
    whole: bool
    share: float
    day0: Measure
    incremental: Measure
    idle: Measure  # the same run again with nothing new
    full: Measure  # the day's --full-refresh
    idle_kept: tuple[int, int]  # models kept on the idle run, of the models run
    differences: dict[str, int]  # per mart, rows that differ between the incremental run and the full refresh
    incremental_models: dict[str, float]
    full_models: dict[str, float]
    incremental_alone: dict[str, float] = field(default_factory=dict)  # alone_times, when asked for
    full_alone: dict[str, float] = field(default_factory=dict)


def built_marts(target: Path) -> list[str]:
    """The marts (tables under models/marts/) the last dbt run in `target` built or kept."""
    nodes = json.loads((target / "manifest.json").read_text(encoding="utf-8"))["nodes"]
    run = [nodes[r["unique_id"]] for r in model_results(target)]
    return sorted(node["name"] for node in run if node["original_file_path"].startswith("models/marts/")
                  and node["config"]["materialized"] in ("table", "incremental"))


def differing_rows(db: Path, other: Path, tables: Sequence[str]) -> dict[str, int]:
    """Per table of schema main, the rows in one of the two databases and not in the other (as multisets)."""
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        con.execute(f"attach '{other}' as other (read_only)")
        return {table: int(con.execute(  # type: ignore[index]
            f"select count(*) from ((select * from main.{table} except all select * from other.main.{table})"
            f" union all (select * from other.main.{table} except all select * from main.{table}))").fetchone()[0])
            for table in tables}


def bench_daily(orders: int, work: Path, seed: int, share: float, dirty_share: float = 0.0, whole: bool = False,
                alone: bool = False) -> DailyResult:
    """A day of `share` new orders appended to `orders` (on the dirty shape with `dirty_share`) and built
    incrementally, again with nothing new, and as a --full-refresh whose marts must equal the incremental
    run's; the RFM models or the `whole` project; with `alone`, both day runs again with one dbt thread."""
    label = ("whole project" if whole else "RFM models") + (", dirty" if dirty_share else "")
    progress(f"== daily incremental, {label}: {orders:,} orders + {share:.1%} new")
    tag = f"{orders}_dirty" if dirty_share else f"{orders}"
    orders_path, customers_path = generate(work / f"data_{tag}", orders, seed, dirty_share)
    ws = loaded_workspace(work / f"daily_{tag}{'_whole' if whole else ''}", orders_path, customers_path)
    build = ws.build(whole=whole)
    day0 = run_measured(f"day 0 full build, {label}", orders, build, ws.env, ws.root / "day0.log")
    day_dir = work / f"day1_{tag}"
    day_dir.mkdir(exist_ok=True)
    load(ws, *append_day(orders_path, customers_path, day_dir, share), "--append")
    before_day = shutil.copyfile(ws.db_path, ws.root / "before_day.duckdb") if alone else None
    incremental = run_measured("day 1 incremental", orders, build, ws.env, ws.root / "day1_incremental.log")
    incremental_models = node_times(ws.target)
    marts = built_marts(ws.target)
    # nothing new: every model is kept (docs/incremental.md), so about dbt's fixed cost
    idle = run_measured("day 1 again, nothing new", orders, build, ws.env, ws.root / "day1_idle.log")
    idle_models = model_results(ws.target)
    kept = (sum(r["message"] == "KEPT (inputs unchanged)" for r in idle_models), len(idle_models))
    incremental_db = shutil.copyfile(ws.db_path, ws.root / "incremental.duckdb")
    full = run_measured("day 1 --full-refresh", orders, [*build, "--full-refresh"], ws.env, ws.root / "day1_full.log")
    full_models = node_times(ws.target)
    differences = differing_rows(ws.db_path, incremental_db, marts)
    progress(f"  incremental vs full refresh: {sum(differences.values())} differing rows in {len(marts)} marts")
    result = DailyResult(label, whole, share, day0, incremental, idle, full, kept, differences, incremental_models,
                         full_models)
    if before_day is not None:
        shutil.copyfile(before_day, ws.db_path)
        result.incremental_alone = alone_times(ws, build)
        result.full_alone = alone_times(ws, [*build, "--full-refresh"])
    return result


def machine() -> str:
    import psutil

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()
    return (f"{cpu}, {psutil.cpu_count()} logical cores, {psutil.virtual_memory().total / GiB:.0f} GiB RAM, "
            f"{platform.system()} {platform.release()}, Python {platform.python_version()}; load average at the end "
            f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (shared machine)")


# The targets of issue 19, checked on the largest size (docs/benchmarks.md says each met or missed)
MODEL_RATIO_TARGET = 2.0
MEMORY_TARGET_GIB = 2
DAILY_SHARE_TARGET = 0.15
IDLE_MARGIN_S = 1.0


def verdict(met: bool) -> str:
    return "**met**" if met else "**missed**"


def memory_target_line(largest: SizeResult, dirty: DirtyResult | None) -> str:
    """The memory target's line: it holds for every build measured at the largest size (the RFM models and the
    whole project, clean and dirty), not only the first."""
    builds = [("build", largest.dbt), ("dirty", dirty.dbt if dirty else None), ("whole project", largest.whole),
              ("whole project, dirty", dirty.whole if dirty else None)]
    peaks = [(name, m.peak_rss_bytes / GiB) for name, m in builds if m is not None]
    return (f"- peak memory at {largest.orders:,} orders <= {MEMORY_TARGET_GIB} GiB: "
            + ", ".join(f"{name} {peak:.2f} GiB" for name, peak in peaks) + ": "
            + verdict(all(peak <= MEMORY_TARGET_GIB for _, peak in peaks)) + ".")


def daily_target_lines(dailies: list[DailyResult], fixed: Measure, fixed_whole: Measure | None) -> list[str]:
    """The daily targets' lines: each holds for every daily run measured (the RFM models and the whole project,
    each against its own fixed cost), and the marts of each incremental run equal its full refresh's."""
    if not dailies:
        return []

    def fixed_cost(daily: DailyResult) -> float:
        measure = fixed_whole if daily.whole else fixed
        assert measure is not None, "a whole-project daily run needs the whole project's fixed cost"
        return measure.seconds

    shares = [((d.incremental.seconds - fixed_cost(d)) / (d.full.seconds - fixed_cost(d))
               if d.full.seconds > fixed_cost(d) else float("inf")) for d in dailies]
    differing = [f"{d.label}: {mart} {rows:,} rows" for d in dailies for mart, rows in d.differences.items() if rows]
    marts = " and ".join(str(len(d.differences)) for d in dailies)
    return [
        f"- daily run ({dailies[0].share:.1%} new orders): (incremental - fixed cost) / (full refresh - fixed cost)"
        f" <= {DAILY_SHARE_TARGET:.0%}: "
        + "; ".join(f"{d.label} ({d.incremental.seconds:.1f} - {fixed_cost(d):.1f}) / ({d.full.seconds:.1f} - "
                    f"{fixed_cost(d):.1f}) = " + (f"{share:.0%}" if share != float("inf") else "none (too small a size)")
                    for d, share in zip(dailies, shares))
        + ": " + verdict(all(share <= DAILY_SHARE_TARGET for share in shares))
        + f"; marts identical to the full refresh's ({marts} marts compared): "
        + ("**NO** (" + "; ".join(differing) + ")." if differing else "yes."),
        f"- the same run again with nothing new <= fixed cost + {IDLE_MARGIN_S:.0f} s: "
        + "; ".join(f"{d.label} {d.idle.seconds:.1f} s against {fixed_cost(d) + IDLE_MARGIN_S:.1f} s "
                    f"({d.idle_kept[0]} of {d.idle_kept[1]} models kept)" for d in dailies)
        + " (docs/incremental.md): "
        + verdict(all(d.idle.seconds <= fixed_cost(d) + IDLE_MARGIN_S for d in dailies)) + ".",
    ]


def time_table(columns: dict[str, dict[str, float]], small: float = 0.1) -> list[str]:
    """A markdown table of seconds per node, one column per run, slowest first in the first *alone* column
    (alone_times); the nodes under `small` seconds in every column are one row, and the *alone* columns,
    whose nodes ran one at a time, get their total."""
    alone = [name for name in columns if name.endswith("alone")]
    order = columns[alone[0]] if alone else next(iter(columns.values()))
    names = sorted({node for times in columns.values() for node in times}, key=lambda node: -order.get(node, 0))
    shown = [node for node in names if max(times.get(node, 0) for times in columns.values()) >= small]
    rest = [node for node in names if node not in shown]
    lines = ["| node | " + " | ".join(f"{name} s" for name in columns) + " |", "|---|" + "---:|" * len(columns)]
    lines += [f"| {node} | " + " | ".join(f"{times[node]:.2f}" if node in times else "-" for times in columns.values())
              + " |" for node in shown]
    if rest:
        lines.append(f"| {len(rest)} others under {small} s | "
                     + " | ".join(f"{sum(times.get(node, 0) for node in rest):.2f}" for times in columns.values()) + " |")
    lines.append("| total | " + " | ".join(f"**{sum(times.values()):.2f}**" if name in alone else ""
                                          for name, times in columns.items()) + " |")
    return lines


def write_report(results: list[SizeResult], fixed: Measure, fixed_parts: dict[str, float],
                 dailies: list[DailyResult], dirty: DirtyResult | None, fixed_whole: Measure | None,
                 big: Measure | None, command: str, settings: dict[str, str], out_md: Path, out_png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xs = [r.orders for r in results]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.plot(xs, [r.dbt.seconds for r in results], "o-", label="dbt build (no tests)")
    ax.plot(xs, [r.dbt_tests.seconds for r in results], "o--", label="dbt build (with tests)")
    ax.plot(xs, [r.bare.seconds for r in results], "s-", label="hand-written DuckDB SQL")
    ax.plot(xs, [r.pandas.seconds for r in results], "^-", label="pandas")
    ax.axhline(fixed.seconds, color="grey", lw=0.8, ls=":", label=f"dbt fixed cost ({FIXED_COST_ORDERS:,} orders)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("orders")
    ax.set_ylabel("wall time (s)")
    ax.set_title("RFM build time against data size")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out_png, dpi=120)

    lines = [
        "# Benchmarks",
        "",
        f"Measured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC by `scripts/benchmark.py` on: {machine()}.",
        "Every figure is from one run on the same generated data; the machine was shared with other work, so",
        "absolute times are noisy and the ratios (measured back to back) are what to compare.",
        "",
        "Command:",
        "",
        "```bash",
        command,
        "```",
        "",
        "Data: `scripts/generate_demo_data.py --format parquet` (clean: no rejects, no email merges), 10 orders",
        "per customer, about 0.5 % refund rows on top. dbt builds `" + RFM_SELECT + "` (seeds, staging,",
        f"validation, netting, aggregation, scoring, marts); DuckDB settings from the profile (threads {settings['threads']},",
        f"memory_limit {settings['memory_limit']}). The hand-written SQL reads the same raw text tables; pandas reads the Parquet files.",
        f"`customer_rfm` reads the segment history (docs/history.md): var `rfm_history_start` is "
        f"{HISTORY_PERIODS['value']} here (periods re-scored; 0: none, like the bare query and pandas).",
        "Peak memory is the RSS of the whole process tree (psutil, polled every 50 ms).",
        "",
        "| orders | dbt (no tests) s | dbt (tests) s | bare SQL s | pandas s | dbt / bare | dbt / pandas |"
        " (dbt - fixed) / bare | peak dbt GiB | peak bare GiB | peak pandas GiB | differing customers (bare, pandas) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        a = r.agreement
        lines.append(
            f"| {r.orders:,} | {r.dbt.seconds:.1f} | {r.dbt_tests.seconds:.1f} | {r.bare.seconds:.1f} | "
            f"{r.pandas.seconds:.1f} | {r.dbt.seconds / r.bare.seconds:.2f} | {r.dbt.seconds / r.pandas.seconds:.2f} | "
            f"{max(r.dbt.seconds - fixed.seconds, 0) / r.bare.seconds:.2f} | {r.dbt.peak_rss_bytes / GiB:.2f} | "
            f"{r.bare.peak_rss_bytes / GiB:.2f} | {r.pandas.peak_rss_bytes / GiB:.2f} | "
            f"{a['dbt_vs_bare']}, {a['dbt_vs_pandas']} of {a['customers_dbt']:,} |"
        )
    lines += [
        "",
        f"dbt's fixed cost (same build, {FIXED_COST_ORDERS:,} orders): {fixed.seconds:.1f} s, "
        f"peak {fixed.peak_rss_bytes / GiB:.2f} GiB. Taken apart (each a command of its own doing one step more",
        "than the one before, the fastest of three runs): start-up is Python importing dbt and the adapter; the",
        "saved parse is `dbt parse` with nothing changed, less start-up (loading partial_parse.msgpack, writing",
        "manifest.json); compile is `dbt compile` of the build's selection less that; run is the build with",
        "--full-refresh less the compile (hooks, seeds, every node executed, none kept). A parse from scratch (after a change to dbt_project.yml,",
        "vars or the profile) is shown apart.",
        "",
        "| " + " | ".join(f"{part} s" for part in fixed_parts) + " |",
        "|" + "---:|" * len(fixed_parts),
        "| " + " | ".join(f"{seconds:.2f}" for seconds in fixed_parts.values()) + " |",
        "",
        "![time against orders](benchmarks.png)",
        "",
        f"Where the time goes at {results[-1].orders:,} orders (dbt build without tests, seconds per node from"
        " dbt's run_results.json: *build*, the measured build's nodes, which overlap on its two threads and share"
        " the cores; *alone*, the same build again with `--threads 1`, one node at a time (models, seeds and"
        " hooks), whose figures are each node's own and add up"
        + ("; dirty: the same on the dirty shape of the targets below" if dirty else "") + "):",
        "",
        *time_table({"build": results[-1].breakdown, "alone": results[-1].alone,
                     **({"dirty build": dirty.breakdown, "dirty alone": dirty.alone} if dirty else {})}),
        "",
    ]
    clustered = [r for r in results if r.cluster]
    if clustered:
        lines += [
            "Spark cluster (informational: `--spark-cluster`, the `spark_cluster` target through its Thrift server;",
            "docs/engines.md; loaded with `load_raw.py --spark-shared-dir`, the cluster reading Parquet files from",
            "--work). Its customer_rfm is compared with DuckDB's customer by customer.",
            "",
            "| orders | load_raw.py over Thrift s | dbt build (no tests) s | dbt build on DuckDB s | differing customers |",
            "|---:|---:|---:|---:|---|",
            *[f"| {r.orders:,} | {r.cluster['load']['seconds']:.1f} | {r.cluster['build']['seconds']:.1f} | "  # type: ignore[index]
              f"{r.dbt.seconds:.1f} | {r.cluster['differing_customers']} of {r.cluster['customers']:,} |" for r in clustered],
            "",
        ]
    largest = results[-1]
    model_ratio = (largest.dbt.seconds - fixed.seconds) / largest.bare.seconds
    lines += [
        "## Targets",
        "",
        f"- (dbt build - fixed cost) / bare query <= {MODEL_RATIO_TARGET} at {largest.orders:,} orders: "
        f"({largest.dbt.seconds:.1f} - {fixed.seconds:.1f}) / {largest.bare.seconds:.1f} = {model_ratio:.2f}: "
        + verdict(model_ratio <= MODEL_RATIO_TARGET) + ".",
    ]
    if dirty is not None:
        dirty_ratio = (dirty.dbt.seconds - fixed.seconds) / dirty.bare.seconds
        lines.append(
            f"- the same on the dirty demo shape ({dirty.share:.0%} bad and messy rows on top of {dirty.orders:,} "
            f"orders: {dirty.rejected_orders:,} of {dirty.raw_orders:,} raw orders rejected, {dirty.customers:,} "
            f"customers scored; the bare query checks nothing): ({dirty.dbt.seconds:.1f} - {fixed.seconds:.1f}) / "
            f"{dirty.bare.seconds:.1f} = {dirty_ratio:.2f}: " + verdict(dirty_ratio <= MODEL_RATIO_TARGET) + "."
        )
    if fixed_whole is not None and largest.whole is not None:
        shapes = [("clean", largest.whole, largest.bare)]
        if dirty is not None and dirty.whole is not None:
            shapes.append(("dirty", dirty.whole, dirty.bare))
        ratios = [(name, max(whole.seconds - fixed_whole.seconds, 0) / bare.seconds, whole, bare)
                  for name, whole, bare in shapes]
        lines.append(
            f"- the whole project (every model, `--full-refresh`, no tests; its fixed cost at {FIXED_COST_ORDERS:,} "
            f"orders {fixed_whole.seconds:.1f} s): (build - fixed) / bare <= {MODEL_RATIO_TARGET}: "
            + "; ".join(f"{name} ({whole.seconds:.1f} - {fixed_whole.seconds:.1f}) / {bare.seconds:.1f} = {ratio:.2f}"
                        for name, ratio, whole, bare in ratios)
            + ": " + verdict(all(ratio <= MODEL_RATIO_TARGET for _, ratio, _, _ in ratios)) + "."
        )
    lines += [
        f"- dbt faster than pandas at {largest.orders:,} orders: {largest.dbt.seconds:.1f} s against "
        f"{largest.pandas.seconds:.1f} s: " + verdict(largest.dbt.seconds < largest.pandas.seconds) + ".",
        memory_target_line(largest, dirty),
    ]
    lines += daily_target_lines(dailies, fixed, fixed_whole)
    if big is not None:
        lines.append(
            f"- {big.orders:,} orders with peak memory under 8 GiB: {big.seconds:.0f} s, peak "
            f"{big.peak_rss_bytes / GiB:.2f} GiB: " + verdict(big.peak_rss_bytes < 8 * GiB) + "."
        )
    for daily in dailies:
        if daily.incremental_alone:
            lines += ["", f"Daily run of the {daily.label}, seconds per node (as above: *alone* is the same run again"
                      " with `--threads 1` from the same database):", "",
                      *time_table({"full refresh": daily.full_models, "full refresh alone": daily.full_alone,
                                   "incremental": daily.incremental_models,
                                   "incremental alone": daily.incremental_alone})]
    lines += ["", "<!-- analysis: kept below by hand -->", ""]
    marker = "<!-- analysis: kept below by hand -->"
    if out_md.exists() and marker in out_md.read_text():
        lines = lines[:-2] + [marker + out_md.read_text().split(marker, 1)[1]]
    out_md.write_text("\n".join(lines))
    (out_md.with_suffix(".json")).write_text(json.dumps({
        "sizes": [asdict(r) for r in results], "fixed": asdict(fixed), "fixed_parts": fixed_parts,
        "dailies": [asdict(daily) for daily in dailies],
        "dirty": asdict(dirty) if dirty else None, "fixed_whole": asdict(fixed_whole) if fixed_whole else None,
        "big": asdict(big) if big else None,
    }, indent=2))


def parse_sizes(value: str) -> list[int]:
    try:
        sizes = sorted({int(v.replace("_", "")) for v in value.split(",") if v.strip()})
    except ValueError:
        sizes = []
    if not sizes or sizes[0] < 1000 or sizes[-1] > 10**10:
        raise argparse.ArgumentTypeError("sizes must be whole numbers from 1000 to 10^10")
    return sizes


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["_bare"]:
        run_bare(Path(argv[1]))
        return 0
    if argv[:1] == ["_pandas"]:
        run_pandas(Path(argv[1]), Path(argv[2]))
        return 0
    parser = rfm_cli.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--sizes", type=parse_sizes, default=[1_000_000, 3_000_000, 10_000_000],
                        help="comma-separated order counts (default 1000000,3000000,10000000)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/rfm_benchmark"), help="scratch folder (kept)")
    parser.add_argument("--seed", type=rfm_cli.bounded_int(0, 2**31), default=42, help="generator seed (default 42)")
    parser.add_argument("--daily", action="store_true",
                        help="also benchmark the incremental daily run on the largest size (the whole project and the"
                             " dirty shape too with --whole-project and --dirty)")
    parser.add_argument("--daily-share", type=rfm_cli.share(above_zero=True), default=0.001,
                        help="share of new orders for --daily (default 0.001: a day of 0.1 %%)")
    parser.add_argument("--dirty", action="store_true",
                        help="also build the largest size on the demo's dirty shape (bad and messy rows on top)")
    parser.add_argument("--dirty-share", type=rfm_cli.share(above_zero=True), default=0.05,
                        help="share of bad and messy rows for --dirty (default 0.05)")
    parser.add_argument("--whole-project", action="store_true",
                        help="also build the whole project (every model, not only the RFM ones) where dbt builds")
    parser.add_argument("--big", type=rfm_cli.bounded_int(0, 10**10), default=0, metavar="ORDERS",
                        help="also run one dbt build (no tests) at this size, e.g. 100000000, for peak memory")
    parser.add_argument("--history-periods", type=rfm_cli.bounded_int(0, 1000), default=0,
                        help="periods of segment history customer_rfm reads (var rfm_history_start, default 0: none)")
    parser.add_argument("--no-tests", action="store_true", help="skip the dbt build with tests")
    parser.add_argument("--spark-cluster", action="store_true",
                        help="also load and build each size on the `spark_cluster` target (RFM_SPARK_THRIFT_HOST, _PORT)")
    parser.add_argument("--out", type=Path, default=PROJECT_DIR / "docs" / "benchmarks.md", help="report (markdown)")
    args = parser.parse_args(argv)
    rfm_cli.writable_file(args.out)  # before hours of work, not after
    if args.work.exists() and not args.work.is_dir():
        raise rfm_cli.UserError(f"--work {args.work} exists and is not a folder")
    missing = [name for name in ("psutil", "pandas", "pyarrow", "matplotlib") if importlib.util.find_spec(name) is None]
    if missing:
        raise rfm_cli.UserError(f"{', '.join(missing)} not installed: pip install -r requirements-benchmark.txt")
    args.work.mkdir(parents=True, exist_ok=True)
    HISTORY_PERIODS["value"] = args.history_periods
    command = "python scripts/benchmark.py " + " ".join(argv)

    progress(f"== fixed cost: {FIXED_COST_ORDERS:,} orders")
    orders_path, customers_path = generate(args.work / f"data_{FIXED_COST_ORDERS}", FIXED_COST_ORDERS, args.seed)
    ws = loaded_workspace(args.work / "ws_fixed", orders_path, customers_path)
    fixed = run_measured("dbt build (fixed cost)", FIXED_COST_ORDERS, ws.build(), ws.env, ws.root / "fixed.log")
    fixed_parts = fixed_cost_parts(ws)
    fixed_whole = ws.whole_build(FIXED_COST_ORDERS, "whole project (fixed cost)") if args.whole_project else None
    results = [bench_size(n, args.work, args.seed, not args.no_tests, args.spark_cluster, args.whole_project)
               for n in args.sizes]
    dailies: list[DailyResult] = []
    if args.daily:
        # on clean data node by node (the RFM models, and the whole project if asked); the dirty shape if asked
        dailies.append(bench_daily(args.sizes[-1], args.work, args.seed, args.daily_share, alone=True))
        if args.whole_project:
            dailies.append(bench_daily(args.sizes[-1], args.work, args.seed, args.daily_share, whole=True,
                                       alone=True))
        if args.dirty:
            dailies.append(bench_daily(args.sizes[-1], args.work, args.seed, args.daily_share, args.dirty_share,
                                       whole=args.whole_project))
    dirty = (bench_dirty(args.sizes[-1], args.work, args.seed, args.dirty_share, args.whole_project)
             if args.dirty else None)
    big = None
    if args.big:
        progress(f"== big: {args.big:,} orders")
        orders_path, customers_path = generate(args.work / f"data_{args.big}", args.big, args.seed)
        bws = loaded_workspace(args.work / f"ws_{args.big}", orders_path, customers_path)
        big = run_measured("dbt build (big)", args.big, bws.build(), bws.env, bws.root / "big.log")
    settings = resolve_target(str(ws.root / "profiles"))["settings"]
    write_report(results, fixed, fixed_parts, dailies, dirty, fixed_whole, big, command, settings, args.out,
                 args.out.with_suffix(".png"))
    progress(f"wrote {args.out} and {args.out.with_suffix('.png')}")
    return 0


if __name__ == "__main__":
    rfm_cli.run(main)
