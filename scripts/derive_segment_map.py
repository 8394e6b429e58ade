#!/usr/bin/env python3
"""Derive the segment map of another score-level count from the quartile map (score_levels 4).

    python scripts/derive_segment_map.py --levels 5

A cell of an N-level grid takes the segment of the quartile cell that contains the centre of each of its
scores: score s covers the share ((s - 1) / N, s / N] of the customers, its centre is x = (s - 0.5) / N and
the quartile holding x is floor(4 x) + 1. For quintiles that maps 1, 2, 3, 4, 5 to 1, 2, 3, 3, 4, so 555 is
Champions (444) and 111 Lost (111). The rows of that level in seeds/rfm_segment_map.csv are replaced and the
other levels kept; after that the CSV is what analysts edit (a derived map is a starting point, not a rule).
User errors print one `error: ...` line and exit with 2.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import rfm_cli  # noqa: E402
from rfm_cli import PROJECT_ROOT, UserError  # noqa: E402

MAP_PATH = PROJECT_ROOT / "seeds" / "rfm_segment_map.csv"
HEADER = ["score_levels", "r_score", "f_score", "m_score", "segment_code"]
QUARTILES = 4


def quartile_of(score: int, levels: int) -> int:
    """The quartile holding the centre of `score` on a `levels` grid, in exact integer arithmetic."""
    # floor(4 * (score - 0.5) / levels) + 1 == floor(4 * (2 * score - 1) / (2 * levels)) + 1
    return QUARTILES * (2 * score - 1) // (2 * levels) + 1


def read_map(path: Path) -> list[dict[str, str]]:
    """The map's rows; a file that is not such a CSV (encoding, header, fields, a score that is no number) is
    a user error naming the line."""
    rows = []
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            if reader.fieldnames != HEADER:
                raise UserError(f"{path}: header must be {','.join(HEADER)}, got {','.join(reader.fieldnames or [])!r}")
            for row in reader:
                if None in row or None in row.values():
                    raise UserError(f"{path}, line {reader.line_num}: a row must have the {len(HEADER)} fields of the header")
                for column in HEADER[:4]:
                    if not re.fullmatch("[0-9]{1,2}", row[column]):
                        raise UserError(f"{path}, line {reader.line_num}: {column} must be a whole number, got {row[column]!r}")
                rows.append(row)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise UserError(f"{path}: not a UTF-8 CSV file ({exc})") from None
    return rows


def derive(rows: list[dict[str, str]], levels: int) -> list[dict[str, str]]:
    """The `levels`-level rows derived from the quartile rows; a quartile cell missing is a user error."""
    quartile_map = {(r["r_score"], r["f_score"], r["m_score"]): r["segment_code"]
                    for r in rows if r["score_levels"] == str(QUARTILES)}
    derived = []
    for cell in itertools.product(range(1, levels + 1), repeat=3):
        source = tuple(str(quartile_of(score, levels)) for score in cell)
        if source not in quartile_map:
            raise UserError(f"the quartile map has no row for cell {'-'.join(source)}: complete it first")
        derived.append(dict(zip(HEADER, [str(levels), *map(str, cell), quartile_map[source]], strict=True)))
    return derived


def main(argv: Sequence[str] | None = None) -> int:
    parser = rfm_cli.ArgumentParser(description="Write the rows of one score-level count into the segment map, "
                                    "derived from its quartile rows (see the module docstring).")
    parser.add_argument("--levels", type=int, required=True, choices=range(2, 10), metavar="N",
                        help="score levels to derive, 2 to 9 (4 rewrites the quartile rows unchanged)")
    parser.add_argument("--map", type=Path, default=MAP_PATH, help="the map CSV to update (default seeds/rfm_segment_map.csv)")
    parser.add_argument("--stdout", action="store_true", help="print the whole updated map instead of writing it")
    args = parser.parse_args(argv)
    rows = read_map(args.map)
    kept = [r for r in rows if r["score_levels"] != str(args.levels)]
    updated = sorted([*kept, *derive(rows, args.levels)], key=lambda r: tuple(int(r[c]) for c in HEADER[:4]))
    out = io.StringIO()
    writer = csv.DictWriter(out, HEADER, lineterminator="\n")
    writer.writeheader()
    writer.writerows(updated)
    if args.stdout:
        sys.stdout.write(out.getvalue())
    else:
        args.map.write_text(out.getvalue(), encoding="utf-8")
        print(f"wrote {args.levels ** 3} cells of {args.levels} levels to {args.map}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    rfm_cli.run(main)
