"""The Mermaid flow in README.md tells the truth about the DAG.

The diagram may leave nodes out, but every arrow it draws must be a real dependency, and every node it
draws must show all of its parents, so nobody reads a partial lineage off it.
"""

from __future__ import annotations

import json
import re

from conftest import PROJECT_DIR, Workspace

NODE = re.compile(r"(\w+)\[([^\]]+)\]")
EDGE = re.compile(r"(\w+)(?:\[[^\]]+\])?\s*-->\s*(\w+)")


def readme_graph() -> tuple[dict[str, str], set[tuple[str, str]]]:
    text = (PROJECT_DIR / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```mermaid\n(.*?)```", text, re.S)
    assert block, "README.md has no mermaid block"
    labels = {node_id: label.strip("()/") for node_id, label in NODE.findall(block.group(1))}
    edges = {(a, b) for a, b in EDGE.findall(block.group(1))}
    return labels, edges


def test_mermaid_diagram_matches_the_dag(demo_build: Workspace) -> None:
    manifest = json.loads((demo_build.root / "target" / "manifest.json").read_text(encoding="utf-8"))
    names = {}
    for unique_id, node in {**manifest["nodes"], **manifest["sources"]}.items():
        if node["resource_type"] in ("model", "seed"):
            names[unique_id] = node["name"]
        elif node["resource_type"] == "source":
            names[unique_id] = f"{node['source_name']}.{node['name']}"
    parents = {names[child]: {names[p] for p in ps if p in names}
               for child, ps in manifest["parent_map"].items() if child in names}

    labels, edges = readme_graph()
    drawn = {(labels.get(a, a), labels.get(b, b)) for a, b in edges}
    assert not {b for _, b in drawn} - parents.keys(), "the diagram names nodes the project does not have"
    assert not {(a, b) for a, b in drawn if a not in parents[b]}, "arrows that are not dependencies"
    for child in {b for _, b in drawn}:
        assert {a for a, b in drawn if b == child} == parents[child], f"{child}: the diagram hides some parents"
