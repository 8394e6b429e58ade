#!/usr/bin/env python3
"""Cluster the scored customers with k-means and compare the clusters with the RFM segments.

Features per customer (customer_rfm): recency_days, frequency, monetary and the average basket
(monetary / frequency). k-means minimises squared Euclidean distances, so each feature is standardised
(mean 0, sd 1) to weigh the same, and a right-skewed feature (skewness above 1: frequency, monetary and basket
on typical order data, where most customers buy once and a few buy a lot) is log-transformed first: otherwise
a handful of big spenders would pull centroids of their own and the bulk of the customers would share one
cluster. Recency, spread fairly evenly over the window, usually stays linear (the rule is printed per run).

k is searched in --k-min..--k-max (3..7): the elbow of the inertia curve and the silhouette score are both
computed and plotted; the k with the best silhouette is kept unless --k forces one. Clusters are numbered
1..k by decreasing average monetary. Every random choice uses --seed, so a run is reproducible.

Outputs in --out (alias --out-dir): k_selection.png and k_selection.csv, clusters.csv (profile of each cluster),
segments_vs_clusters.csv (cross-tab), customers.csv (cluster of each customer) and summary.json.
Needs `pip install -r requirements-analysis.txt`.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import rfm_cli  # noqa: E402
from rfm_cli import PROJECT_ROOT, UserError  # noqa: E402
from rfm_cli.marts import open_marts, target_of  # noqa: E402

# The analysis libraries are optional: --help and option errors work without them, a run says what is missing.
MISSING_LIBRARY: str | None = None
try:
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt
    import numpy as np
    from scipy.stats import skew
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score, silhouette_score
    from sklearn.preprocessing import StandardScaler
    from threadpoolctl import threadpool_limits
except ImportError as exc:
    MISSING_LIBRARY = exc.name

FEATURES = ("recency_days", "frequency", "monetary", "basket")  # basket: average order value, monetary / frequency
SKEW_THRESHOLD = 1.0
# Silhouette is quadratic in the number of points: score a fixed-size random sample on large data.
SILHOUETTE_SAMPLE = 10_000


@dataclass(frozen=True)
class Customers:
    ids: list[str]
    segments: list[str]  # segment name of each customer
    segment_order: list[str]  # segment names in display order
    values: np.ndarray  # n x len(FEATURES), original units


@dataclass(frozen=True)
class Trial:
    k: int
    inertia: float
    silhouette: float
    labels: np.ndarray


def load(target: dict[str, Any]) -> Customers:
    with open_marts(target, ("customer_rfm", "rfm_segment_summary")) as marts:
        rows = marts.rows("select customer_id, segment_name, recency_days, frequency, monetary from customer_rfm")
        order = marts.rows("select segment_name from rfm_segment_summary order by display_order")
    rows.sort(key=lambda row: row["customer_id"])  # in Python: engines collate text differently
    return Customers(
        ids=[r["customer_id"] for r in rows],
        segments=[r["segment_name"] for r in rows],
        segment_order=[r["segment_name"] for r in order],
        # basket in Python: each engine gives the SQL quotient of decimals its own scale
        values=np.array([(r["recency_days"], r["frequency"], float(r["monetary"]), float(r["monetary"]) / r["frequency"])
                         for r in rows], dtype=float).reshape(-1, len(FEATURES)),
    )


def prepare(values: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Log-transform the skewed features, then standardise all; returns the matrix and the logged features."""
    logged = [name for i, name in enumerate(FEATURES) if skew(values[:, i]) > SKEW_THRESHOLD]
    transformed = values.copy()
    for name in logged:
        i = FEATURES.index(name)
        transformed[:, i] = np.log1p(values[:, i])  # every feature is >= 0; log1p keeps zero at zero
    return StandardScaler().fit_transform(transformed), logged


def fit(matrix: np.ndarray, k: int, seed: int) -> Trial:
    model = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(matrix)
    sample = min(len(matrix), SILHOUETTE_SAMPLE)
    score = silhouette_score(matrix, model.labels_, sample_size=sample, random_state=seed)
    return Trial(k, float(model.inertia_), float(score), model.labels_)


def elbow(trials: Sequence[Trial]) -> int:
    """The k farthest below the straight line from the first to the last point of the inertia curve."""
    ks = np.array([t.k for t in trials], dtype=float)
    inertia = np.array([t.inertia for t in trials])
    span = inertia[0] - inertia[-1] or 1.0
    # Both axes scaled to 0..1 so that the distance does not depend on the units of inertia.
    x, y = (ks - ks[0]) / (ks[-1] - ks[0]), (inertia - inertia[-1]) / span
    return int(ks[np.argmax((1 - x) - y)])


def relabel_by_monetary(labels: np.ndarray, monetary: np.ndarray) -> np.ndarray:
    """Clusters numbered 1..k by decreasing average monetary, so that labels read the same across runs."""
    clusters = np.unique(labels)
    ranked = sorted(clusters, key=lambda c: -monetary[labels == c].mean())
    mapping = {old: new for new, old in enumerate(ranked, start=1)}
    return np.array([mapping[c] for c in labels])


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


def plot(trials: Sequence[Trial], elbow_k: int, chosen_k: int, logged: Sequence[str], path: Path) -> None:
    ks = [t.k for t in trials]
    fig, (ax_inertia, ax_silhouette) = plt.subplots(1, 2, figsize=(10, 4))
    for ax, values, title, marked, label in (
        (ax_inertia, [t.inertia for t in trials], "Elbow: inertia (within-cluster sum of squares)", elbow_k, "elbow"),
        (ax_silhouette, [t.silhouette for t in trials], "Silhouette score (higher is better)", chosen_k, "chosen"),
    ):
        ax.plot(ks, values, marker="o", color="#08519c")
        ax.scatter([marked], [values[ks.index(marked)]], s=160, facecolors="none", edgecolors="#d7452f",
                   linewidths=2, label=f"{label}: k = {marked}", zorder=3)
        ax.set(title=title, xlabel="k (clusters)", xticks=ks)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(f"k-means on standardised {', '.join(FEATURES)} (log-transformed: {', '.join(logged) or 'none'})")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = rfm_cli.ArgumentParser(
        description="k-means clusters of the scored customers (standardised recency, frequency, monetary and "
        "average basket, skewed ones log-transformed), k chosen by elbow and silhouette, compared with the RFM "
        "segments (cross-tab and adjusted Rand index)."
    )
    parser.add_argument("--out", "--out-dir", dest="out", type=Path, default=PROJECT_ROOT / "target" / "kmeans",
                        help="folder for the plot and CSV/JSON outputs (default: %(default)s)")
    parser.add_argument("--k-min", type=rfm_cli.bounded_int(2, 100), default=3, help="smallest k tried (default: 3)")
    parser.add_argument("--k-max", type=rfm_cli.bounded_int(2, 100), default=7, help="largest k tried (default: 7)")
    parser.add_argument("--k", type=rfm_cli.bounded_int(2, 100), help="use this k instead of the best silhouette (must be in the range)")
    parser.add_argument("--seed", type=rfm_cli.bounded_int(0, 2**32 - 1), default=42, help="random_state of k-means and the silhouette sample")
    rfm_cli.add_marts_options(parser)
    args = parser.parse_args(argv)
    if not 2 <= args.k_min < args.k_max:
        parser.error("need 2 <= --k-min < --k-max")
    if args.k is not None and not args.k_min <= args.k <= args.k_max:
        parser.error("--k must be within --k-min..--k-max")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if MISSING_LIBRARY:
        raise UserError(f"{MISSING_LIBRARY} is not installed: pip install -r requirements-analysis.txt")
    target = target_of(args)
    customers = load(target)
    n = len(customers.ids)
    if n <= args.k_max:
        raise UserError(f"{n} scored customers: too few for k up to {args.k_max}")
    rfm_cli.progress(f"loaded {n:,} scored customers of target {target['target_name']}")
    matrix, logged = prepare(customers.values)
    rfm_cli.progress(f"log-transformed (skewness > {SKEW_THRESHOLD}): {', '.join(logged) or 'none'}; all standardised")

    trials = []
    # One thread: on customer-sized data it is fastest, and OpenMP workers spin-waiting on a busy 2-core
    # machine made the search 50 times slower.
    with threadpool_limits(limits=1):
        for k in range(args.k_min, args.k_max + 1):
            trials.append(fit(matrix, k, args.seed))
            rfm_cli.progress(f"k = {k}: inertia {trials[-1].inertia:,.1f}, silhouette {trials[-1].silhouette:.4f}")
    elbow_k = elbow(trials)
    best = args.k or max(trials, key=lambda t: t.silhouette).k
    chosen = next(t for t in trials if t.k == best)
    labels = relabel_by_monetary(chosen.labels, customers.values[:, FEATURES.index("monetary")])
    ari = float(adjusted_rand_score(customers.segments, labels))
    rfm_cli.progress(f"elbow at k = {elbow_k}; kept k = {best} ({'--k' if args.k else 'best silhouette'}); ARI {ari:.4f}")

    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    plot(trials, elbow_k, best, logged, out / "k_selection.png")
    write_csv(out / "k_selection.csv", ("k", "inertia", "silhouette"),
              [(t.k, round(t.inertia, 4), round(t.silhouette, 6)) for t in trials])
    clusters = range(1, best + 1)
    write_csv(
        out / "clusters.csv", ("cluster", "customers", *(f"avg_{f}" for f in FEATURES)),
        [(c, int((labels == c).sum()), *np.round(customers.values[labels == c].mean(axis=0), 2)) for c in clusters],
    )
    segments = np.array(customers.segments)
    crosstab = [
        (name, *(int(((segments == name) & (labels == c)).sum()) for c in clusters), int((segments == name).sum()))
        for name in customers.segment_order
    ]
    write_csv(out / "segments_vs_clusters.csv", ("segment", *(f"cluster_{c}" for c in clusters), "total"), crosstab)
    write_csv(out / "customers.csv", ("customer_id", "segment_name", "cluster"),
              list(zip(customers.ids, customers.segments, labels.tolist(), strict=True)))
    summary = {
        "customers": n, "k": best, "elbow_k": elbow_k, "log_transformed": logged,
        "adjusted_rand_index": round(ari, 6), "seed": args.seed,
        "trials": [{"k": t.k, "inertia": round(t.inertia, 4), "silhouette": round(t.silhouette, 6)} for t in trials],
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")

    width = max(len(name) for name in customers.segment_order)
    print(f"k-means, k = {best} (elbow {elbow_k}); adjusted Rand index vs the RFM segments: {ari:.4f}")
    print(f"{'segment':<{width}} " + " ".join(f"{f'c{c}':>6}" for c in clusters) + "  total")
    for name, *counts in crosstab:
        print(f"{name:<{width}} " + " ".join(f"{v:>6}" for v in counts[:-1]) + f"  {counts[-1]:>5}")
    print(f"wrote {out}/: k_selection.png, k_selection.csv, clusters.csv, segments_vs_clusters.csv, "
          "customers.csv, summary.json")
    return 0


if __name__ == "__main__":
    rfm_cli.run(main)
