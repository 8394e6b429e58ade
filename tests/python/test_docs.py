"""Every model, seed, snapshot, column and macro of the project is described, and `dbt docs generate` works.

Columns are taken from the warehouse's catalog, so a column a model selects but its yml forgets is caught.
The marts' descriptions are the warehouse's comments (persist_docs), which BI tools show: the catalog has them.
"""

from __future__ import annotations

import json
from pathlib import Path

from conftest import Workspace

DOCUMENTED = ("model", "seed", "snapshot")


def test_docs_generate_and_everything_is_described(demo_build: Workspace, tmp_path: Path) -> None:
    ws = demo_build.clone(tmp_path / "ws")
    ws.dbt("docs", "generate", write_json=True)
    target = ws.root / "target"
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    catalog = json.loads((target / "catalog.json").read_text(encoding="utf-8"))

    missing: list[str] = []
    for unique_id, node in manifest["nodes"].items():
        if node["resource_type"] not in DOCUMENTED or node["package_name"] != "rfm":
            continue
        if not node["description"].strip():
            missing.append(f"{unique_id}: no description")
        documented = {name.lower(): col["description"].strip() for name, col in node["columns"].items()}
        built = catalog["nodes"].get(unique_id, {}).get("columns", {})
        missing += [f"{unique_id}.{name.lower()}: column not described" for name in built
                    if not documented.get(name.lower())]
    ours = {macro["name"]: macro for macro in manifest["macros"].values() if macro["package_name"] == "rfm"}
    # An engine's implementation (duckdb__x) of a dispatching macro x of ours is described by x.
    missing += [f"macro {name}: no description" for name, macro in ours.items()
                if not macro["description"].strip() and name.partition("__")[2] not in ours]
    for unique_id, node in manifest["nodes"].items():
        if node["resource_type"] == "model" and node["config"].get("persist_docs"):
            table = catalog["nodes"][unique_id]
            commented = {"": table["metadata"]["comment"]} | {
                name.lower(): column["comment"] for name, column in table["columns"].items()}
            described = {"": node["description"]} | {
                name.lower(): column["description"] for name, column in node["columns"].items()}
            missing += [f"{unique_id}.{name or '(table)'}: warehouse comment {commented.get(name)!r}"
                        for name in described.keys() | commented.keys() if commented.get(name) != described.get(name)]
    assert not missing, "\n".join(missing)
