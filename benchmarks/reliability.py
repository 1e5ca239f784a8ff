"""Benchmark: reliability and rater agreement at scale, beside pingouin on the same data in the same run.

Target (issue "Surveys", Done when): no slower than pingouin.

1. 100,000 respondents x 30 Likert items (1-5, one-factor graded model, complete):
   progeval's alpha (Feldt interval + normal-theory SE), omega total (one-factor ML with
   Wald interval) and item analysis (corrected item-total r, alpha if deleted, floor and
   ceiling shares) against pingouin's ``cronbach_alpha`` plus the same item table built the
   pingouin way (alpha of each 29-item set, item vs rest-score correlation).  pingouin has no
   omega, so omega is listed without a pingouin time.  The bootstrap interval of alpha
   (1,000 replicates) is timed on its own.
2. 20,000 targets x 4 raters: the six Shrout & Fleiss ICCs, ``surveys.agreement.icc`` against
   ``pingouin.intraclass_corr`` (long format in both).

Each figure is the best of ``--repeat`` runs (default 3).  Run: ``make bench`` or
``.venv/bin/python benchmarks/reliability.py``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import pandas as pd


def _best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def likert_items(n: int, k: int, seed: int = 1) -> pd.DataFrame:
    """Respondents x items on a 1-5 scale from a one-factor graded response model."""
    rng = np.random.default_rng(seed)
    lam = rng.uniform(0.5, 0.8, k)
    ystar = rng.standard_normal((n, 1)) * lam + rng.standard_normal((n, k)) * np.sqrt(1 - lam**2)
    answers = 1 + (ystar[:, :, None] > np.array([-1.5, -0.5, 0.5, 1.5])).sum(axis=2)
    return pd.DataFrame(answers.astype(float), columns=[f"q{i + 1:02d}" for i in range(k)])


def ratings(n_targets: int, n_raters: int, seed: int = 2) -> pd.DataFrame:
    """Long ratings: target effect + rater leniency + noise."""
    rng = np.random.default_rng(seed)
    score = (rng.normal(70, 8, (n_targets, 1)) + rng.normal(0, 3, (1, n_raters))
             + rng.normal(0, 5, (n_targets, n_raters)))
    return pd.DataFrame({"target": np.repeat(np.arange(n_targets), n_raters),
                         "rater": np.tile([f"r{j}" for j in range(n_raters)], n_targets),
                         "rating": score.ravel()})


def _pingouin_item_table(items: pd.DataFrame) -> pd.DataFrame:
    import pingouin as pg

    total = items.sum(axis=1)
    rows = []
    for col in items:
        rest = items.drop(columns=col)
        rows.append({"item": col, "item_total_r": items[col].corr(total - items[col]),
                     "alpha_if_deleted": pg.cronbach_alpha(rest)[0],
                     "floor_share": (items[col] == 1).mean(), "ceiling_share": (items[col] == 5).mean()})
    return pd.DataFrame(rows)


def bench_reliability(n: int, k: int, repeat: int) -> list[tuple[str, float, float | None]]:
    import pingouin as pg

    from surveys.reliability import cronbach_alpha, item_analysis, mcdonald_omega

    items = likert_items(n, k)
    ours_alpha = _best(lambda: cronbach_alpha(items, n_boot=0), repeat)
    theirs_alpha = _best(lambda: pg.cronbach_alpha(items), repeat)
    ours_items = _best(lambda: item_analysis(items, scale_min=1, scale_max=5), repeat)
    theirs_items = _best(lambda: _pingouin_item_table(items), repeat)
    ours_omega = _best(lambda: mcdonald_omega(items), repeat)
    boot = _best(lambda: cronbach_alpha(items, n_boot=1000, seed=1), 1)
    a, o = cronbach_alpha(items, n_boot=0), mcdonald_omega(items)
    assert abs(a.alpha - pg.cronbach_alpha(items)[0]) < 1e-10
    print(f"  alpha = {a.alpha:.4f}, omega = {o.omega:.4f} (converged: {o.converged})")
    return [("alpha (Feldt CI, SE)", ours_alpha, theirs_alpha),
            ("item analysis", ours_items, theirs_items),
            ("omega total (Wald CI)", ours_omega, None),
            ("alpha + omega + item analysis", ours_alpha + ours_omega + ours_items, theirs_alpha + theirs_items),
            ("alpha bootstrap, 1,000 replicates", boot, None)]


def bench_icc(n_targets: int, n_raters: int, repeat: int) -> list[tuple[str, float, float | None]]:
    import pingouin as pg

    from surveys.agreement import icc

    long = ratings(n_targets, n_raters)
    ours = _best(lambda: icc(long, target="target", rater="rater", rating="rating"), repeat)
    theirs = _best(lambda: pg.intraclass_corr(long, targets="target", raters="rater", ratings="rating"), repeat)
    mine = icc(long, target="target", rater="rater", rating="rating").tidy()["estimate"].to_numpy()
    ref = pg.intraclass_corr(long, targets="target", raters="rater", ratings="rating")["ICC"].to_numpy()
    print(f"  six ICCs agree with pingouin to {np.abs(mine - ref).max():.1e}")
    return [("six ICCs", ours, theirs)]


def _print(title: str, rows: list[tuple[str, float, float | None]]) -> None:
    print(title)
    print(f"  {'step':<36}{'progeval s':>12}{'pingouin s':>12}{'ratio':>9}")
    for name, ours, theirs in rows:
        ratio = f"{ours / theirs:.3f}" if theirs else "-"
        them = f"{theirs:.4f}" if theirs else "(none)"
        print(f"  {name:<36}{ours:>12.4f}{them:>12}{ratio:>9}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--respondents", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=30)
    parser.add_argument("--targets", type=int, default=20_000)
    parser.add_argument("--raters", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"Reliability: {args.respondents:,} respondents x {args.items} items")
    rel = bench_reliability(args.respondents, args.items, args.repeat)
    _print("", rel)
    print(f"\nRater agreement: {args.targets:,} targets x {args.raters} raters")
    agr = bench_icc(args.targets, args.raters, args.repeat)
    _print("", agr)
    print("\nratio = progeval time / pingouin time on the same data; target: <= 1 (no slower than pingouin)")


if __name__ == "__main__":
    main()
