"""Your own data, by the three routes of docs/own-data.md, on one platform-shaped data set (platform_data.py):
files through the loader with --column-map; tables already in the warehouse (typed) through var
rfm_column_map; and a host dbt project that installs this one as a package (`dbt deps && dbt build`), has
models of its own named like ours and replaces the package's four seeds with its own, different ones. Every
route must give the oracle's customer_rfm (on the host's seeds for the host route).
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import dbt_in_process
import duckdb
import pytest
import yaml
from conftest import (BIN_DIR, PROJECT_DIR, RFM_FIELDS, SEEDS_DIR, TODAY, Workspace, _write_csv,
                      assert_rfm_rows_match)
from engines import OTHER_ENGINES, EngineWorkspace, PostgresWorkspace, engine_workspace, needs_other_engine
from oracle import expected_customer_rfm
from platform_data import COLUMN_MAP, CUSTOMER_COLUMNS, CUSTOMER_TYPES, ORDER_COLUMNS, ORDER_TYPES, PlatformData, generate

VARIANTS = [pytest.param("naive", id="naive"), pytest.param("platform", id="platform")]
# The host project's schemas for the package's layers (its generate_schema_name takes them verbatim).
LAYER_SCHEMAS = {"staging": "rfm_staging", "intermediate": "rfm_intermediate", "marts": "rfm_marts"}
# The host's own seeds (var rfm_seeds, docs/package.md), each unlike the package's in a way the data shows:
# its pending orders count as purchases, its dollar is worth less, a segment's cells go to another segment,
# and its segments have its own labels.
HOST_SEED_EDITS: dict[str, Callable[[dict[str, str]], dict[str, str]]] = {
    "order_statuses": lambda row: {**row, "is_purchase": "true"} if row["status"] == "pending" else row,
    "currency_rates": lambda row: {**row, "rate_to_base": "0.500000"} if row["currency_code"] == "USD" else row,
    "rfm_segment_map": lambda row: {**row, "segment_code": "promising"}
    if row["segment_code"] == "potential_loyalist" else row,
    "rfm_segments": lambda row: {**row, "segment_name": f"Shop {row['segment_name']}"},
}


def oracle_rfm(data: PlatformData, seeds_dir: Path = SEEDS_DIR) -> dict[str, dict]:
    return expected_customer_rfm(data.contract("orders"), data.contract("customers"), seeds_dir=seeds_dir, today=TODAY)


def write_seeds(folder: Path, edited: set[str]) -> Path:
    """The package's seeds of HOST_SEED_EDITS under their own names, those in `edited` edited."""
    folder.mkdir(parents=True)
    for name, edit in HOST_SEED_EDITS.items():
        with (SEEDS_DIR / f"{name}.csv").open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            rows = [edit(row) if name in edited else row for row in reader]
        with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=reader.fieldnames or [], lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
    return folder


def create_typed_tables(ws: EngineWorkspace, data: PlatformData, schema: str) -> None:
    """The data as typed tables `schema`.orders and `schema`.customers (timestamptz for the platform variant)."""
    tz = " with time zone" if data.has_time_zones else ""
    tables = (("orders", ORDER_COLUMNS, ORDER_TYPES, data.orders), ("customers", CUSTOMER_COLUMNS, CUSTOMER_TYPES, data.customers))
    if isinstance(ws, PostgresWorkspace):
        con, placeholder = ws.connect(), "%s"
    else:
        con, placeholder = duckdb.connect(str(ws.db_path)), "?"
    try:
        cur = con.cursor()
        cur.execute(f"create schema {schema}")
        for table, columns, types, rows in tables:
            typed = [t.format(tz=tz) for t in types]
            cur.execute(f"create table {schema}.{table} ({', '.join(f'{c} {t}' for c, t in zip(columns, typed))})")
            values = ", ".join(f"cast({placeholder} as {t})" for t in typed)
            cur.executemany(f"insert into {schema}.{table} values ({values})", [[r[c] for c in columns] for r in rows])
        con.commit()
    finally:
        con.close()


def read_customer_rfm(ws: EngineWorkspace, schema: str, table: str) -> list[dict[str, Any]]:
    return [{f: row[f] for f in RFM_FIELDS} for row in ws.read_table(schema, table)]


def write_host_project(root: Path, prefix: str | None) -> Path:
    """A host dbt project with this one as a local package, its own models named like ours, its own source
    and model as the package's inputs, its own seeds (root/host_seeds, edited), its own generate_schema_name,
    and the package's relation prefix if given."""
    host = root / "host"
    for folder in ("models", "seeds", "macros"):
        (host / folder).mkdir(parents=True)
    project = {
        "name": "shop", "version": "1.0.0", "config-version": 2, "profile": "rfm",
        # dbt's future default: the package's tests test the package's customer_rfm, not the host's
        "flags": {"require_ref_searches_node_package_before_root": True},
        "vars": {"rfm": {
            "rfm_inputs": {"orders": "shop_orders", "customers": "shop.customers"},
            "rfm_column_map": COLUMN_MAP,
            "rfm_seeds": {name: f"shop_{name}" for name in HOST_SEED_EDITS},
            **({} if prefix is None else {"rfm_relation_prefix": prefix}),
        }},
        "models": {"rfm": {layer: {"+schema": schema} for layer, schema in LAYER_SCHEMAS.items()}},
    }
    (host / "dbt_project.yml").write_text(yaml.safe_dump(project, sort_keys=False), encoding="utf-8")
    (host / "packages.yml").write_text(yaml.safe_dump({"packages": [{"local": str(PROJECT_DIR)}]}), encoding="utf-8")
    sources = {"version": 2, "sources": [{"name": "shop", "schema": "shop", "tables": [{"name": "orders"}, {"name": "customers"}]}]}
    (host / "models" / "_sources.yml").write_text(yaml.safe_dump(sources), encoding="utf-8")
    (host / "models" / "shop_orders.sql").write_text("select * from {{ source('shop', 'orders') }}\n", encoding="utf-8")
    for own in ("customer_rfm", "audience_members", "customer_segments"):
        (host / "models" / f"{own}.sql").write_text(f"select 'the host''s own {own}' as note\n", encoding="utf-8")
    host_seeds = write_seeds(root / "host_seeds", set(HOST_SEED_EDITS))
    for name in HOST_SEED_EDITS:
        (host / "seeds" / f"shop_{name}.csv").write_bytes((host_seeds / f"{name}.csv").read_bytes())
    (host / "macros" / "generate_schema_name.sql").write_text(
        "{% macro generate_schema_name(custom_schema_name, node) -%}\n"
        "    {{ (custom_schema_name or target.schema) | trim }}\n"
        "{%- endmacro %}\n", encoding="utf-8")
    return host


def run_host_dbt(ws: EngineWorkspace, host: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return ws._run([str(BIN_DIR / "dbt"), *args, "--vars", json.dumps({"rfm_today": TODAY.isoformat()})],
                   expect_ok=True, cwd=host, in_process=dbt_in_process.enabled(ws.env))


def build_host(ws: EngineWorkspace, data: PlatformData, root: Path, publish: bool,
               prefix: str | None) -> subprocess.CompletedProcess[str]:
    create_typed_tables(ws, data, "shop")
    host = write_host_project(root, prefix)
    # the publish plugin of the DuckDB profile (docs/bi.md) lives in the package's scripts/ (docs/package.md);
    # a host's own profile without it builds all the same, unpublished
    plugin = re.compile(r"^ *module_paths: \[scripts\]\n *plugins:\n *- module: rfm_publish\n *config:\n.*\n", re.M)
    profile = ws.root / "profiles" / "profiles.yml"
    text = profile.read_text(encoding="utf-8")
    assert plugin.search(text), "the example profile's plugin lines moved: update this test"
    profile.write_text(text.replace("module_paths: [scripts]", f"module_paths: [{host / 'dbt_packages' / 'rfm' / 'scripts'}]")
                       if publish else plugin.sub("", text), encoding="utf-8")
    run_host_dbt(ws, host, "deps")
    return run_host_dbt(ws, host, "build")


@pytest.mark.parametrize("variant", VARIANTS)
def test_files_through_the_loader_with_a_column_map(variant: str, tmp_path: Path) -> None:
    data = generate(variant)
    ws = Workspace(tmp_path)
    column_map = tmp_path / "column_map.yml"
    column_map.write_text(yaml.safe_dump({"rfm_column_map": COLUMN_MAP}), encoding="utf-8")
    ws.load(_write_csv(tmp_path / "orders.csv", data.orders, ORDER_COLUMNS),
            _write_csv(tmp_path / "customers.csv", data.customers, CUSTOMER_COLUMNS), "--column-map", str(column_map))
    ws.dbt("build")
    assert_rfm_rows_match(ws.query_dicts(f"select {', '.join(RFM_FIELDS)} from customer_rfm"), oracle_rfm(data))


@pytest.mark.parametrize("variant", VARIANTS)
def test_typed_warehouse_tables_through_the_column_map(variant: str, tmp_path: Path) -> None:
    """Typed columns, other names, and no first_name, concern, refund_of_order_id or load_id column."""
    data = generate(variant)
    with engine_workspace("duckdb", tmp_path) as ws:
        create_typed_tables(ws, data, "shop")
        ws.dbt("build", vars={"rfm_raw_schema": "shop", "rfm_column_map": COLUMN_MAP})
        assert_rfm_rows_match(read_customer_rfm(ws, "main", "customer_rfm"), oracle_rfm(data))


def assert_host_route(ws: EngineWorkspace, data: PlatformData, root: Path, publish: bool = True,
                      prefix: str | None = None) -> None:
    """The host's build: the package's marts are the oracle's on the host's seeds, under the prefix (`rfm_`
    unless given), beside the host's own models of the same names."""
    build = build_host(ws, data, root, publish, prefix)
    prefix = "rfm_" if prefix is None else prefix
    assert "require_ref_prefers_node_package_to_root" not in build.stdout
    expected = oracle_rfm(data, root / "host_seeds")
    # each host seed changes the result: a build that read the package's seed instead would differ
    for name in HOST_SEED_EDITS:
        package_one = oracle_rfm(data, write_seeds(root / f"all_but_{name}", set(HOST_SEED_EDITS) - {name}))
        assert package_one != expected, f"the host's {name} changes nothing in this data: it would go untested"
    assert_rfm_rows_match(read_customer_rfm(ws, LAYER_SCHEMAS["marts"], f"{prefix}customer_rfm"), expected)
    # the host's own models of the same names are its own, beside the package's prefixed ones
    assert ws.read_table("main", "customer_rfm") == [{"note": "the host's own customer_rfm"}]
    assert ws.read_table("main", "audience_members") == [{"note": "the host's own audience_members"}]
    assert ws.read_table(LAYER_SCHEMAS["staging"], f"{prefix}stg_raw__orders")
    assert ws.read_table(LAYER_SCHEMAS["intermediate"], f"{prefix}int_customers_scored")
    manifest = json.loads((root / "host" / "target" / "manifest.json").read_text(encoding="utf-8"))
    package_nodes = [node for node in manifest["nodes"].values() if node["package_name"] == "rfm"
                     and node["resource_type"] in ("model", "seed")]
    assert package_nodes and all(node["alias"].startswith(prefix) for node in package_nodes), \
        sorted(node["alias"] for node in package_nodes if not node["alias"].startswith(prefix))
    # the package's models read the host's seeds, never their own of the same names
    read = {dep for node in package_nodes for dep in node["depends_on"].get("nodes", [])}
    assert {f"seed.shop.shop_{name}" for name in HOST_SEED_EDITS} <= read
    assert not {f"seed.rfm.{name}" for name in HOST_SEED_EDITS} & read
    assert "model.shop.shop_orders" in manifest["nodes"]["model.rfm.stg_raw__orders"]["depends_on"]["nodes"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_host_project_with_the_package(variant: str, tmp_path: Path) -> None:
    with engine_workspace("duckdb", tmp_path) as ws:
        # the platform variant with the example profile's publish plugin, the naive one with a profile without
        # and with a relation prefix of its own (var rfm_relation_prefix)
        publish = variant == "platform"
        prefix = "crm_" if publish else None
        assert_host_route(ws, generate(variant), tmp_path, publish, prefix)
        assert ws.published_path.exists() == publish
        # the marts carry their descriptions into the warehouse (persist_docs)
        comment = ws.query("select comment from duckdb_tables() where schema_name = 'rfm_marts' and table_name ="
                           f" '{prefix or 'rfm_'}customer_rfm'")
        assert comment and comment[0][0].startswith("One row per scored customer")


@needs_other_engine
@pytest.mark.parametrize("engine", OTHER_ENGINES)
@pytest.mark.parametrize("variant", VARIANTS)
def test_host_project_with_the_package_on_other_engines(engine: str, variant: str, tmp_path: Path) -> None:
    if engine != "postgres":
        pytest.skip("the host route is checked on PostgreSQL (Spark sessions admit one dbt process at a time)")
    with engine_workspace(engine, tmp_path) as ws:
        assert_host_route(ws, generate(variant), tmp_path)


@pytest.mark.parametrize(
    ("vars", "message"),
    [
        ({"rfm_column_map": {"orders": {"order_total": 'price" from x; --'}}},
         "var rfm_column_map: orders.order_total must be a column or table name"),
        ({"rfm_column_map": {"orders": {"total": "price"}}}, 'var rfm_column_map: orders has no column "total"'),
        ({"rfm_column_map": {"refunds": {}}}, 'var rfm_column_map: unknown key "refunds"'),
        ({"rfm_inputs": {"orders": "a.b.c"}}, "var rfm_inputs: orders (a model name, or source.table) must be"),
        ({"rfm_seeds": {"order_status": "mine"}}, 'var rfm_seeds: unknown key "order_status"'),
        ({"rfm_relation_prefix": "Rfm-"}, "var rfm_relation_prefix must be lower-case letters"),
    ],
)
def test_bad_vars_stop_parsing_with_one_line(vars: dict, message: str, tmp_path: Path) -> None:
    """Names given in vars reach SQL: anything but a plain name stops dbt before it runs, saying which var."""
    result = Workspace(tmp_path).dbt("parse", vars=vars, expect_ok=False)
    assert result.returncode != 0
    assert message in result.stdout, result.stdout[-3000:]


def test_mapped_names_are_quoted_and_a_missing_one_is_named(tmp_path: Path) -> None:
    """A column name with a space works once mapped; a required column that is not there stops the build
    naming the column and the var to set."""
    data = generate("naive")
    with engine_workspace("duckdb", tmp_path) as ws:
        create_typed_tables(ws, data, "shop")
        with duckdb.connect(str(ws.db_path)) as con:
            con.execute('alter table shop.orders rename column total_price to "Total Price"')
        spaced = {**COLUMN_MAP, "orders": {**COLUMN_MAP["orders"], "order_total": "Total Price"}}
        ws.dbt("run", "--select", "stg_raw__orders", vars={"rfm_raw_schema": "shop", "rfm_column_map": spaced})
        totals = ws.query("select order_id, order_total_text from main.stg_raw__orders order by order_id limit 1")
        assert [(order_id, Decimal(text)) for order_id, text in totals] == [
            (data.orders[0]["id"], Decimal(data.orders[0]["total_price"]))]
        missing = ws.dbt("run", "--select", "stg_raw__orders", vars={"rfm_raw_schema": "shop", "rfm_column_map": COLUMN_MAP},
                         expect_ok=False)
        assert missing.returncode != 0
        assert ('orders: required column "total_price" (contract column order_total) not found in'
                in missing.stdout), missing.stdout[-3000:]
        assert "map it with var rfm_column_map" in missing.stdout
