"""Benchmark: TWFE with CR1 on 1,000,000 student rows, beside pyfixest and linearmodels in the same run.

Target (issue "Difference-in-differences", Speed): at most half of pyfixest's warm time on 1,000,000
rows, 500 units x 20 periods, no covariates, with an identical estimate and SE.

Data: 500 units (clusters = units), 20 periods, 2,000 students per unit drawn uniformly over periods,
one third of units adopting in period 10.  pyfixest is timed warm (its first call compiles numba code);
linearmodels' ``AbsorbingLS`` (unit and period absorbed, clustered by unit) is listed when installed.
Each figure is the best of ``--repeat`` runs.  Run: ``.venv/bin/python benchmarks/did_twfe.py``.
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd


def best(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    """Best wall time of ``repeat`` calls and the last result."""
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def student_panel(n: int = 1_000_000, units: int = 500, periods: int = 20, seed: int = 0) -> pd.DataFrame:
    """Students in unit x period cells with one adoption period for a third of the units."""
    rng = np.random.default_rng(seed)
    unit = rng.integers(0, units, n)
    period = rng.integers(0, periods, n)
    adopt = np.where(np.arange(units) % 3 == 0, periods // 2, periods + 1)[unit]
    d = (period >= adopt).astype(float)
    y = 0.5 * d + 0.01 * unit + 0.1 * period + rng.normal(size=n)
    return pd.DataFrame({"y": y, "treated": d, "unit": unit, "period": period})


def main(repeat: int = 3) -> None:
    """Print progeval, pyfixest and linearmodels times and the ratios."""
    from analyses.did import twfe

    data = student_panel()
    print(f"TWFE, CR1 by unit: {len(data):,} rows, 500 units x 20 periods, no covariates (best of {repeat})")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours_t, ours = best(lambda: twfe(data, outcome="y", treatment="treated", unit="unit", time="period"), repeat)
        print(f"  progeval twfe      {ours_t:7.3f} s   estimate {ours.estimate:.10f}  SE {ours.std_error:.10f}")
        try:
            import pyfixest as pf
        except ImportError:
            print("  pyfixest not installed: no ratio")
            return
        pf.feols("y ~ treated | unit + period", data=data, vcov={"CRV1": "unit"})  # compile numba code
        ref_t, ref = best(lambda: pf.feols("y ~ treated | unit + period", data=data, vcov={"CRV1": "unit"}), repeat)
        est, se = float(ref.coef()["treated"]), float(ref.se()["treated"])
        print(f"  pyfixest feols     {ref_t:7.3f} s   estimate {est:.10f}  SE {se:.10f}")
        print(f"  ratio progeval / pyfixest = {ours_t / ref_t:.3f} (target <= 0.5); "
              f"|diff| estimate {abs(ours.estimate - est):.1e}, SE {abs(ours.std_error - se):.1e}")
        _linearmodels(data, repeat, ours_t)


def _linearmodels(data: pd.DataFrame, repeat: int, ours_t: float) -> None:
    try:
        from linearmodels.iv.absorbing import AbsorbingLS
    except ImportError:
        print("  linearmodels not installed: skipped")
        return
    cats = data[["unit", "period"]].astype("category")

    def fit() -> object:
        return AbsorbingLS(data["y"], data[["treated"]], absorb=cats).fit(cov_type="clustered",
                                                                            clusters=data["unit"])

    lm_t, lm = best(fit, repeat)
    print(f"  linearmodels AbsorbingLS {lm_t:7.3f} s   estimate {float(lm.params['treated']):.10f}  "
          f"SE {float(lm.std_errors['treated']):.10f}")
    print(f"  ratio progeval / linearmodels = {ours_t / lm_t:.3f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    main(parser.parse_args().repeat)
