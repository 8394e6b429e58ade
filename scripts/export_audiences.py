#!/usr/bin/env python3
"""Export audiences, one CSV per segment from the mart `audience_members`, or one per campaign flow.

    python scripts/export_audiences.py --segmentation lifecycle --out exports/audiences

writes exports/audiences/lifecycle/<segment_code>.csv with the columns email tools import (email,
first_name, segment, message_theme) and a manifest.json (export date, the scoring as_of_date, a sha256 of
the segment map, the consent and formula rules, rows and sha256 per file). `--segmentation flows` writes
flows/<flow_code>.csv from `campaign_flow_audience`: the treated, consenting customers of each flow only
(its holdout group is never exported), and the manifest records each flow's holdout share and count. The mart
holds only customers who accept marketing, with normalised emails (no whitespace, full-width forms as
ASCII, lower case), one row per address, never an address that any raw customer record refused. Cells a
spreadsheet would run as a formula (starting with = + - @, tab or CR) are prefixed with ' (OWASP), and the
manifest states both rules. A manifest already in the folder is checked before it is trusted.

Before anything is written, segments that are empty or whose size moved more than --max-change since the
previous export in the same folder are reported (--strict makes that an error). An export of another
date is never overwritten without --replace. User errors print one `error: ...` line and exit with 2.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent))
import rfm_cli  # noqa: E402
from rfm_cli import UserError  # noqa: E402
from rfm_cli.marts import open_marts, target_of  # noqa: E402

HEADER = ("email", "first_name", "segment", "message_theme")
FLOW_HEADER = ("email", "first_name", "segment", "flow")
MANIFEST = "manifest.json"
SEGMENT_CODE = re.compile(r"[a-z0-9_]{1,100}")
# OWASP CSV injection: a spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Written into every manifest, for whoever imports the files.
RULES = {
    "consent": "an address refused by any raw customer record (accepted or rejected) is never exported; "
    "addresses are compared after one normalisation: no whitespace, full-width forms as ASCII, lower case",
    "formula_cells": "a cell starting with = + - @ tab or carriage return is prefixed with ' so that a "
    "spreadsheet shows it as text",
}
FLOW_RULES = {
    **RULES,
    "holdout": "a flow's holdout group (campaign_flow_audience.is_holdout, drawn from the md5 of flow code and "
    "customer id against the flow's holdout_share) is never exported: it measures what the flow earns",
}
# segmentation -> the rows to export: (audience = file name, segment_code, email, first_name, message_theme)
MEMBERS_SQL = {
    "flows": "select flow_code as audience, segment_code, email, first_name, flow_code as message_theme"
    " from campaign_flow_audience where accepts_marketing and not is_holdout and email is not null",
    **{segmentation: "select segment_code as audience, segment_code, email, first_name, message_theme"
       f" from audience_members where segmentation = '{segmentation}'" for segmentation in ("rfm", "lifecycle")},
}
HOLDOUT_SQL = ("select flow_code, holdout_share, count(*) as audience,"
               " sum(case when is_holdout then 1 else 0 end) as holdout"
               " from campaign_flow_audience inner join campaign_flows using (flow_code)"
               " group by flow_code, holdout_share")


@dataclass(frozen=True)
class Member:
    audience: str
    segment_code: str
    email: str
    first_name: str | None
    message_theme: str | None


def read_members(target: dict[str, Any], segmentation: str) -> tuple[list[Member], dict[str, Any]]:
    """The rows to export for one segmentation, in a stable order (sorted here: engines collate text
    differently), and what they were scored with: the as_of_date, a hash of the segment map and, for the
    flows, each flow's holdout."""
    marts_read = ("campaign_flow_audience", "campaign_flows") if segmentation == "flows" else ("audience_members",)
    with open_marts(target, (*marts_read, "customer_rfm", "rfm_segment_map")) as marts:
        rows = marts.rows(MEMBERS_SQL[segmentation])
        as_of = marts.rows("select max(as_of_date) as as_of_date from customer_rfm")[0]["as_of_date"]
        cells = marts.rows("select score_levels, r_score, f_score, m_score, segment_code from rfm_segment_map")
        holdouts = marts.rows(HOLDOUT_SQL) if segmentation == "flows" else []
    map_text = "\n".join(sorted(",".join(str(cell[k]) for k in sorted(cell)) for cell in cells))
    scoring: dict[str, Any] = {
        "as_of_date": as_of.isoformat()[:10] if as_of is not None else None,
        "segment_map_sha256": hashlib.sha256(map_text.encode("utf-8")).hexdigest(),
    }
    if segmentation == "flows":
        scoring["holdout"] = {
            row["flow_code"]: {"holdout_share": f"{row['holdout_share']:.4f}", "audience": int(row["audience"]),
                               "holdout": int(row["holdout"] or 0)}
            for row in sorted(holdouts, key=lambda row: row["flow_code"])
        }
    members = sorted((Member(**row) for row in rows), key=lambda m: (m.audience, m.email))
    for member in members:
        if not SEGMENT_CODE.fullmatch(member.audience):
            raise UserError(f"code {member.audience!r} cannot be a file name (a-z, 0-9 and _ only)")
    return members, scoring


def safe_cell(value: str | None) -> str:
    """The value as a spreadsheet shows it as text, never runs it (customers type first names and emails)."""
    text = value or ""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def segment_csv(members: Sequence[Member], header: Sequence[str]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for m in members:
        writer.writerow(tuple(map(safe_cell, (m.email, m.first_name, m.segment_code, m.message_theme))))
    return buffer.getvalue().encode("utf-8")


def read_previous(folder: Path) -> dict[str, Any] | None:
    """The manifest of the export in folder, checked before anything in it is trusted: segment codes name
    files (so they must be plain names, never a path), row counts are whole numbers."""
    path = folder / MANIFEST
    if not path.exists():
        return None
    problem = f"{path}: not a manifest written by export_audiences.py; move the folder away"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise UserError(problem) from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("segments"), dict):
        raise UserError(problem)
    try:
        date.fromisoformat(manifest.get("export_date"))
    except (TypeError, ValueError):
        raise UserError(f"{problem} (export_date is not a date)") from None
    for code, entry in manifest["segments"].items():
        if not SEGMENT_CODE.fullmatch(code):
            raise UserError(f"{problem} (segment {code!r} is not a-z, 0-9 and _)")
        rows = entry.get("rows") if isinstance(entry, dict) else None
        if type(rows) is not int or rows < 0:
            raise UserError(f"{problem} (segment {code}: rows is not a whole number)")
    return manifest


def changes(previous: dict[str, Any] | None, counts: dict[str, int], max_change: float) -> list[str]:
    """Sentences naming empty segments and segments whose size moved more than max_change."""
    before = {code: int(entry["rows"]) for code, entry in (previous or {}).get("segments", {}).items()}
    notes = []
    for code in sorted(set(before) | set(counts)):
        now, then = counts.get(code, 0), before.get(code)
        if now == 0:
            notes.append(f"segment {code} is empty" + (f" (had {then} at the last export)" if then else ""))
        elif then and abs(now - then) / then > max_change:
            notes.append(f"segment {code} moved from {then} to {now} ({(now - then) / then:+.0%}) since the last export")
    return notes


def export(args: argparse.Namespace) -> str:
    members, scoring = read_members(target_of(args), args.segmentation)
    folder = Path(args.out) / args.segmentation
    if Path(args.out).exists() and not Path(args.out).is_dir():
        raise UserError(f"{args.out} exists and is not a folder")
    if folder.exists() and not folder.is_dir():
        raise UserError(f"{folder} exists and is not a folder")
    previous = read_previous(folder) if folder.is_dir() else None
    export_date = args.export_date.isoformat()
    if previous is not None and previous["export_date"] != export_date and not args.replace:
        raise UserError(
            f"{folder} holds the export of {previous['export_date']}; pass --replace to overwrite it with {export_date}"
        )

    by_segment: dict[str, list[Member]] = {}
    for code in (previous or {}).get("segments", {}):
        by_segment[code] = []  # a segment of the last export that is now empty still gets its (empty) file
    for member in members:
        by_segment.setdefault(member.audience, []).append(member)
    counts = {code: len(rows) for code, rows in by_segment.items()}

    notes = changes(previous, counts, args.max_change)
    for note in notes:
        print(f"warning: {note}", file=sys.stderr)
    if notes and args.strict:
        raise UserError(f"{len(notes)} segment(s) reported above and --strict given: nothing written")

    is_flows = args.segmentation == "flows"
    header = FLOW_HEADER if is_flows else HEADER
    files = {code: segment_csv(rows, header) for code, rows in sorted(by_segment.items())}
    manifest = {
        "segmentation": args.segmentation,
        "export_date": export_date,
        "exported_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "source": "campaign_flow_audience" if is_flows else "audience_members",
        # what the audiences were scored with: the RFM as_of_date and the segment map's version (and the
        # flows' holdout: share, audience and holdout count per flow)
        **scoring,
        "columns": list(header),
        "total_rows": len(members),
        "rules": FLOW_RULES if is_flows else RULES,
        "segments": {
            code: {"file": f"{code}.csv", "rows": counts[code], "sha256": hashlib.sha256(content).hexdigest()}
            for code, content in files.items()
        },
    }
    # Written aside, then swapped in: a failed export leaves the previous one whole.
    try:
        Path(args.out).mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{args.segmentation}-", dir=args.out))
    except OSError as exc:
        raise UserError(f"cannot write in {args.out}: {exc.strerror or exc}") from None
    try:
        for code, content in files.items():
            (staging / f"{code}.csv").write_bytes(content)
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        if folder.exists():
            retired = folder.with_name(f".{folder.name}-previous")
            shutil.rmtree(retired, ignore_errors=True)
            folder.rename(retired)
            staging.rename(folder)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            staging.rename(folder)
    except OSError as exc:
        raise UserError(f"cannot write {folder}: {exc.strerror or exc}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return f"exported {len(members)} {args.segmentation} audience members in {len(files)} segment files to {folder}"


def parse_share(value: str) -> float:
    try:
        share = float(value)
    except ValueError:
        share = -1.0
    if not 0 <= share:
        raise argparse.ArgumentTypeError("must be a share, 0 or more (0.5 = 50%)")
    return share


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = rfm_cli.ArgumentParser(
        description="Export one CSV per segment (email, first_name, segment, message_theme) from the mart "
        "audience_members, or one per campaign flow (email, first_name, segment, flow) from "
        "campaign_flow_audience, with a manifest of row counts and sha256 sums."
    )
    parser.add_argument("--segmentation", required=True, choices=("rfm", "lifecycle", "flows"),
                        help="which audiences to export: the RFM segments, the lifecycle segments, or the "
                        "campaign flows (treated, consenting customers only: the holdout is never exported)")
    parser.add_argument("--out", default="exports/audiences", metavar="DIR",
                        help="folder of the exports; files go to DIR/<segmentation>/ (default exports/audiences)")
    parser.add_argument("--export-date", type=rfm_cli.iso_date, default=datetime.now(timezone.utc).date(),
                        metavar="YYYY-MM-DD", help="date of this export (default: today, UTC)")
    parser.add_argument("--replace", action="store_true",
                        help="allow overwriting an export of another date in the same folder")
    parser.add_argument("--max-change", type=parse_share, default=0.5, metavar="SHARE",
                        help="report segments whose size moved more than this share since the last export (default 0.5)")
    parser.add_argument("--strict", action="store_true",
                        help="write nothing (exit 2) when a segment is empty or moved more than --max-change")
    rfm_cli.add_marts_options(parser)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    print(export(parse_args(argv)))
    return 0


if __name__ == "__main__":
    rfm_cli.run(main)
