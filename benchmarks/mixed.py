"""Benchmark: progeval's mixed.fit beside statsmodels' MixedLM on growth models with one group per student.

Targets (issue "Mixed models", Speed):
- random-intercept growth model ``score ~ wave * program + (1 | student)``, 100,000 rows, 20,000 students
  (5 waves): at least 10x faster than statsmodels, same estimates to 1e-6 relative;
- the same with a random slope on wave, ``(1 + wave | student)``: at least 10x faster;
- 1,000,000 rows, 200,000 students, random intercept: under 10 s and under 4 GB (peak RSS of a fresh
  process that builds the data and fits the model; statsmodels is not run on this one).

Data come from :func:`analyses.mixed.simulate_growth` (intercept SD 1, residual SD 0.7, and a slope SD of
0.3 for the random-slope model, 0 for the random-intercept ones).
Both fits are REML from the same DataFrame; statsmodels uses its default optimizers.  Each time is one
run, wall clock, including building the design from the formula.
Run: ``.venv/bin/python benchmarks/mixed.py`` (``--skip-statsmodels`` for our side only).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
import warnings

import numpy as np
import pandas as pd

FORMULA = "score ~ wave * program"


def _ours(data: pd.DataFrame, re_formula: str | None) -> tuple[float, object]:
    from analyses import mixed

    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = mixed.fit(data, FORMULA, groups="student_id", re_formula=re_formula)
    return time.perf_counter() - start, result


def _statsmodels(data: pd.DataFrame, re_formula: str | None) -> tuple[float, object]:
    import statsmodels.formula.api as smf

    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = smf.mixedlm(FORMULA, data, groups=data["student_id"], re_formula=re_formula)
        result = model.fit(reml=True)
    return time.perf_counter() - start, result


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.asarray(a, dtype=float).ravel(), np.asarray(b, dtype=float).ravel()
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-12)))


def compare(label: str, re_formula: str | None, skip_statsmodels: bool) -> None:
    """Fit one 100,000-row model both ways and print times, ratio and differences."""
    from analyses.mixed import simulate_growth

    data = simulate_growth(n_students=20_000, waves=5, slope_sd=0.0 if re_formula is None else 0.3, seed=1)
    ours_t, ours = _ours(data, re_formula)
    runs = ", ".join(f"{r.optimizer} {r.evaluations} evaluations" for r in ours.convergence.runs)
    print(f"{label}: {len(data):,} rows, {data['student_id'].nunique():,} students")
    print(f"  progeval mixed.fit   {ours_t:8.3f} s   REML criterion {ours.criterion:.6f}   ({runs})")
    if skip_statsmodels:
        return
    sm_t, sm = _statsmodels(data, re_formula)
    print(f"  statsmodels MixedLM  {sm_t:8.3f} s   -2 REML llf    {-2 * sm.llf:.6f}   converged={sm.converged}")
    order = [ours.fixed_names.index(n) for n in sm.fe_params.index]
    ours_var = np.r_[np.diag(ours.covariances[0]), ours.sigma ** 2]
    sm_var = np.r_[np.diag(np.asarray(sm.cov_re, dtype=float)), sm.scale]
    print(f"  speed-up statsmodels / progeval = {sm_t / ours_t:.1f}x (target >= 10x)")
    print(f"  max relative difference: fixed effects {_rel(ours.beta[order], sm.fe_params.to_numpy()):.1e}, "
          f"SEs {_rel(ours.std_errors[order], sm.bse_fe.to_numpy()):.1e}, "
          f"variances {_rel(ours_var, sm_var):.1e}", end="")
    if ours.covariances[0].shape[0] > 1:
        sd = np.sqrt(np.diag(np.asarray(sm.cov_re, dtype=float)))
        sm_corr = float(sm.cov_re.iloc[1, 0]) / (sd[0] * sd[1])
        ours_corr = ours.covariances[0][1, 0] / np.sqrt(ours.covariances[0][0, 0] * ours.covariances[0][1, 1])
        print(f", correlation {ours_corr:.7f} vs {sm_corr:.7f}", end="")
    print(f"; criterion ours - statsmodels {ours.criterion + 2 * sm.llf:+.2e} (negative: ours is better)")


def big() -> None:
    """The 1,000,000-row fit, meant to run in a fresh process so its peak RSS is its own."""
    from analyses.mixed import simulate_growth

    data = simulate_growth(n_students=200_000, waves=5, slope_sd=0.0, seed=2)
    ours_t, ours = _ours(data, None)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2  # kilobytes on Linux
    print(f"random intercept, {len(data):,} rows, 200,000 students")
    print(f"  progeval mixed.fit   {ours_t:8.3f} s (target < 10 s); peak RSS of the process {peak:.2f} GB "
          f"(target < 4 GB; includes building the data)")
    print(f"  estimates {np.round(ours.beta, 4).tolist()}, SDs {ours.covariances[0][0, 0] ** 0.5:.4f} "
          f"(intercept) and {ours.sigma:.4f} (residual); truth 1 and 0.7")


def main() -> None:
    """Run the three comparisons."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-statsmodels", action="store_true", help="time progeval only")
    parser.add_argument("--big-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.big_only:
        big()
        return
    compare("random intercept (1 | student)", None, args.skip_statsmodels)
    compare("random intercept and slope (1 + wave | student)", "~ wave", args.skip_statsmodels)
    subprocess.run([sys.executable, __file__, "--big-only"], check=True)


if __name__ == "__main__":
    main()
