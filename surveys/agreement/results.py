"""Result objects of the agreement coefficients: frozen, documented, with ``tidy()`` and ``to_dict()``.

Every result has ``tidy()``, a :class:`pandas.DataFrame` whose first columns are
always ``term, estimate, std_error, statistic, df, p_value, ci_low, ci_high,
ci_level`` (:data:`TIDY_COLUMNS`), followed by columns that belong to the
coefficient; ``to_dict()``, a JSON-safe dictionary (NaN written as ``None``);
and ``summary()``, the tidy table as text for people.  Nothing is rounded.

Examples
--------
>>> form = IccForm("ICC(1,1)", "ICC1", "one-way random, single rater", 0.5, 3.0, 5, 18, 0.04, 0.1, 0.8)
>>> result = IccResult((form,), n_targets=6, n_raters=4, n_targets_dropped=0, missing="refuse", ci_level=0.95,
...                    ms_targets=3.0, ms_within=1.0, ms_raters=1.0, ms_error=1.0)
>>> list(result.tidy().columns[:9]) == list(TIDY_COLUMNS)
True
>>> result.get("ICC1").estimate
0.5
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import numpy as np
import pandas as pd

from surveys.agreement._inputs import json_safe

__all__ = ["TIDY_COLUMNS", "IccForm", "IccResult", "KappaResult", "KrippendorffAlphaResult", "LeniencyResult"]

TIDY_COLUMNS = ("term", "estimate", "std_error", "statistic", "df", "p_value", "ci_low", "ci_high", "ci_level")
"""The fixed first columns of every ``tidy()`` table."""

NAN = float("nan")


def _frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    extra = [c for c in frame.columns if c not in TIDY_COLUMNS]
    return frame[list(TIDY_COLUMNS) + extra]


@dataclass(frozen=True)
class IccForm:
    """One of the six Shrout & Fleiss (1979) intraclass correlations.

    Attributes
    ----------
    term
        Shrout & Fleiss name: ``"ICC(1,1)"``, ``"ICC(2,1)"``, ``"ICC(3,1)"``, ``"ICC(1,k)"``,
        ``"ICC(2,k)"`` or ``"ICC(3,k)"``.
    psych_type
        Name in R ``psych::ICC``: ``"ICC1"``, ``"ICC2"``, ``"ICC3"``, ``"ICC1k"``, ``"ICC2k"``, ``"ICC3k"``.
    mcgraw_wong
        McGraw & Wong (1996) model, type and unit, e.g. ``"two-way random, absolute agreement, single rater"``.
    estimate
        The coefficient.
    statistic
        F statistic of the test of ICC = 0 (``MSB/MSW`` for the one-way forms, ``MSB/MSE`` otherwise).
    df1, df2
        Numerator and denominator degrees of freedom of the F test.
    p_value
        One-sided p-value, :math:`P(F_{df1,df2} > F)`.
    ci_low, ci_high
        Confidence interval (formulas of ``psych::ICC``; see :func:`surveys.agreement.icc`).
    """

    term: str
    psych_type: str
    mcgraw_wong: str
    estimate: float
    statistic: float
    df1: int
    df2: int
    p_value: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class IccResult:
    """The six intraclass correlations of a complete targets x raters design.

    Attributes
    ----------
    forms
        The six :class:`IccForm`, in the order ICC(1,1), ICC(2,1), ICC(3,1), ICC(1,k), ICC(2,k), ICC(3,k).
    n_targets
        Targets used (after any drop).
    n_raters
        Raters (``k``).
    n_targets_dropped
        Targets dropped for lacking a rating (``missing="complete_targets"``); 0 otherwise.
    missing
        The missing-data rule applied.
    ci_level
        Confidence level of the intervals.
    ms_targets, ms_within, ms_raters, ms_error
        Mean squares of the two-way ANOVA: between targets (MSB), within targets (MSW, one-way),
        between raters (MSJ) and residual (MSE).
    """

    forms: tuple[IccForm, ...]
    n_targets: int
    n_raters: int
    n_targets_dropped: int
    missing: str
    ci_level: float
    ms_targets: float
    ms_within: float
    ms_raters: float
    ms_error: float

    def get(self, name: str) -> IccForm:
        """The form called ``name``: its Shrout & Fleiss term (``"ICC(2,1)"``) or psych type (``"ICC2"``)."""
        for form in self.forms:
            if name in (form.term, form.psych_type):
                return form
        valid = ", ".join(repr(f.term) for f in self.forms)
        raise KeyError(f"no ICC form {name!r}; use one of: {valid} (or the psych names 'ICC1' ... 'ICC3k')")

    def tidy(self) -> pd.DataFrame:
        """One row per form.

        ``df`` is the numerator and ``df_denom`` the denominator degrees of freedom of the
        F test of ICC = 0.  ``std_error`` is NaN: Shrout & Fleiss and ``psych::ICC`` give
        F-based intervals, not standard errors.  Extra columns: ``df_denom``, ``psych_type``,
        ``mcgraw_wong``, ``n_obs`` (targets), ``n_raters``, ``n_dropped``.
        """
        rows = [
            {"term": f.term, "estimate": f.estimate, "std_error": NAN, "statistic": f.statistic, "df": f.df1,
             "p_value": f.p_value, "ci_low": f.ci_low, "ci_high": f.ci_high, "ci_level": self.ci_level,
             "df_denom": f.df2, "psych_type": f.psych_type, "mcgraw_wong": f.mcgraw_wong,
             "n_obs": self.n_targets, "n_raters": self.n_raters, "n_dropped": self.n_targets_dropped}
            for f in self.forms
        ]
        return _frame(rows)

    def to_dict(self) -> dict:
        """JSON-safe dictionary of every field."""
        return json_safe(asdict(self))  # type: ignore[return-value]

    def summary(self) -> str:
        """The tidy table as text, with the design above it."""
        head = (f"Intraclass correlations: {self.n_targets} targets x {self.n_raters} raters"
                f" ({self.n_targets_dropped} targets dropped; missing={self.missing!r})")
        return head + "\n" + self.tidy().iloc[:, :10].to_string(index=False)


@dataclass(frozen=True)
class KappaResult:
    """Cohen's or Fleiss' kappa with its standard errors, z test and bootstrap interval.

    Attributes
    ----------
    method
        ``"Cohen's kappa"`` or ``"Fleiss' kappa"``.
    weights
        ``"unweighted"``, ``"linear"`` or ``"quadratic"`` (Fleiss' kappa: ``"unweighted"``).
    estimate
        The coefficient.
    std_error
        Standard error for interval estimation: the large-sample SE under the alternative
        (Fleiss, Cohen & Everitt 1969) for Cohen's kappa; the standard deviation of the
        bootstrap replicates for Fleiss' kappa (NaN when ``n_boot=0``).  See ``std_error_method``.
    std_error_method
        How ``std_error`` was obtained, in words.
    std_error_null
        Standard error under the null hypothesis kappa = 0, used by the z test.
    statistic
        z = estimate / std_error_null.
    p_value
        Two-sided p-value of the z test.
    null
        The null hypothesis in words.
    ci_low, ci_high
        Percentile bootstrap interval over subjects (NaN when ``n_boot=0``).
    ci_level
        Confidence level of the interval.
    observed_agreement, expected_agreement
        Observed and chance-expected (weighted) agreement, :math:`p_o` and :math:`p_e`.
    categories
        The ordered categories (weights use their positions).
    n_subjects
        Subjects used.
    n_dropped
        Rows (Cohen) or subjects (Fleiss) dropped for a missing rating.
    n_raters
        Raters per subject.
    n_boot
        Bootstrap replicates drawn.
    n_boot_failed
        Replicates in which kappa is undefined (all resampled ratings in one category), left out of the interval.
    seed
        Seed of the bootstrap (the one drawn when ``seed=None`` was passed).
    """

    method: str
    weights: str
    estimate: float
    std_error: float
    std_error_method: str
    std_error_null: float
    statistic: float
    p_value: float
    null: str
    ci_low: float
    ci_high: float
    ci_level: float
    observed_agreement: float
    expected_agreement: float
    categories: tuple
    n_subjects: int
    n_dropped: int
    n_raters: int
    n_boot: int
    n_boot_failed: int
    seed: int

    def tidy(self) -> pd.DataFrame:
        """One row; ``df`` is NaN (a z test).

        Extra columns: ``std_error_null``, ``method``, ``weights``, ``ci_method``, ``n_obs``
        (subjects), ``n_dropped``, ``n_raters``, ``n_boot``.
        """
        row = {"term": "kappa", "estimate": self.estimate, "std_error": self.std_error, "statistic": self.statistic,
               "df": NAN, "p_value": self.p_value, "ci_low": self.ci_low, "ci_high": self.ci_high,
               "ci_level": self.ci_level, "std_error_null": self.std_error_null, "method": self.method,
               "weights": self.weights, "ci_method": "percentile bootstrap over subjects" if self.n_boot else "none",
               "n_obs": self.n_subjects, "n_dropped": self.n_dropped, "n_raters": self.n_raters,
               "n_boot": self.n_boot}
        return _frame([row])

    def to_dict(self) -> dict:
        """JSON-safe dictionary of every field."""
        return json_safe(asdict(self))  # type: ignore[return-value]

    def summary(self) -> str:
        """Kappa, its test and interval in words."""
        return (f"{self.method} ({self.weights}): {self.estimate} on {self.n_subjects} subjects x {self.n_raters}"
                f" raters ({self.n_dropped} dropped); z = {self.statistic}, p = {self.p_value}"
                f" (null: {self.null}); {self.ci_level:.0%} percentile bootstrap CI [{self.ci_low}, {self.ci_high}]")


@dataclass(frozen=True)
class KrippendorffAlphaResult:
    """Krippendorff's alpha with its coincidence matrix and a bootstrap interval over units.

    Attributes
    ----------
    estimate
        The coefficient, :math:`1 - D_o / D_e`.
    level
        Level of measurement (metric): ``"nominal"``, ``"ordinal"``, ``"interval"`` or ``"ratio"``.
    observed_disagreement, expected_disagreement
        :math:`D_o` and :math:`D_e`.
    values
        The distinct values, in order (rows and columns of the coincidence matrix).
    coincidences
        The coincidence matrix :math:`o_{ck}` as nested tuples (see :meth:`coincidence_matrix`).
    n_units
        Units with at least two values (pairable units) used.
    n_units_dropped
        Units with fewer than two values, left out as Krippendorff prescribes.
    n_raters
        Raters (coders) in the data.
    n_pairable
        Pairable values :math:`n` (the total of the coincidence matrix).
    std_error
        Standard deviation of the bootstrap replicates (NaN when ``n_boot=0``).
    ci_low, ci_high
        Percentile bootstrap interval over units (NaN when ``n_boot=0``).
    ci_level
        Confidence level of the interval.
    n_boot
        Bootstrap replicates drawn.
    n_boot_failed
        Replicates in which alpha is undefined (no variation among the resampled values), left out.
    seed
        Seed of the bootstrap (the one drawn when ``seed=None`` was passed).
    """

    estimate: float
    level: str
    observed_disagreement: float
    expected_disagreement: float
    values: tuple
    coincidences: tuple
    n_units: int
    n_units_dropped: int
    n_raters: int
    n_pairable: float
    std_error: float
    ci_low: float
    ci_high: float
    ci_level: float
    n_boot: int
    n_boot_failed: int
    seed: int

    def coincidence_matrix(self) -> pd.DataFrame:
        """The coincidence matrix with the values as index and columns."""
        index = pd.Index(self.values, name="value")
        return pd.DataFrame(np.array(self.coincidences, dtype=float).reshape(len(index), len(index)),
                            index=index, columns=index.rename("value_2"))

    def tidy(self) -> pd.DataFrame:
        """One row.

        ``statistic``, ``df`` and ``p_value`` are NaN: alpha has no test of alpha = 0,
        which Krippendorff (2011) argues is not the question (reliability must be near 1,
        not merely above chance).  Extra columns: ``level``, ``observed_disagreement``,
        ``expected_disagreement``, ``ci_method``, ``n_obs`` (pairable units), ``n_dropped``,
        ``n_raters``, ``n_pairable``, ``n_boot``.
        """
        row = {"term": "alpha", "estimate": self.estimate, "std_error": self.std_error, "statistic": NAN,
               "df": NAN, "p_value": NAN, "ci_low": self.ci_low, "ci_high": self.ci_high, "ci_level": self.ci_level,
               "level": self.level, "observed_disagreement": self.observed_disagreement,
               "expected_disagreement": self.expected_disagreement,
               "ci_method": "percentile bootstrap over units" if self.n_boot else "none",
               "n_obs": self.n_units, "n_dropped": self.n_units_dropped, "n_raters": self.n_raters,
               "n_pairable": self.n_pairable, "n_boot": self.n_boot}
        return _frame([row])

    def to_dict(self) -> dict:
        """JSON-safe dictionary of every field."""
        return json_safe({f.name: getattr(self, f.name) for f in fields(self)})  # type: ignore[return-value]

    def summary(self) -> str:
        """Alpha and its interval in words."""
        return (f"Krippendorff's alpha ({self.level}): {self.estimate} on {self.n_units} units"
                f" ({self.n_units_dropped} with fewer than two values dropped), {self.n_pairable:g} pairable values;"
                f" {self.ci_level:.0%} percentile bootstrap CI over units [{self.ci_low}, {self.ci_high}]")


@dataclass(frozen=True, eq=False)
class LeniencyResult:
    """Leniency of each rater role against a reference role.

    Attributes
    ----------
    table
        One row per rater role (reference first), columns ``rater_role, n_scores, n_targets,
        mean_score, mean_difference, std_error, statistic, df, p_value, ci_low, ci_high,
        n_paired, note``; see :func:`surveys.agreement.leniency_table`.
    reference
        The reference role.
    target
        Columns that identify a target (the thing scored).
    scale
        ``"percent of max_score"`` or ``"score"``: the unit of the means and differences.
    ci_level
        Confidence level of the intervals.
    n_rows_dropped
        Rows left out for a missing score (or missing maximum score).
    """

    table: pd.DataFrame
    reference: str
    target: tuple[str, ...]
    scale: str
    ci_level: float
    n_rows_dropped: int

    def tidy(self) -> pd.DataFrame:
        """One row per role: the mean within-target difference from the reference role and its t interval.

        ``term`` is the role; ``statistic`` is the paired t statistic of the null "no difference
        from the reference role" with ``df`` = n_paired - 1.  Extra columns: ``n_obs`` (paired
        targets), ``mean_score``, ``n_scores``, ``n_targets``, ``scale``, ``note``.
        """
        t = self.table
        out = pd.DataFrame({
            "term": t["rater_role"], "estimate": t["mean_difference"], "std_error": t["std_error"],
            "statistic": t["statistic"], "df": t["df"], "p_value": t["p_value"], "ci_low": t["ci_low"],
            "ci_high": t["ci_high"], "ci_level": self.ci_level, "n_obs": t["n_paired"],
            "mean_score": t["mean_score"], "n_scores": t["n_scores"], "n_targets": t["n_targets"],
            "scale": self.scale, "note": t["note"],
        })
        return out.reset_index(drop=True)

    def to_dict(self) -> dict:
        """JSON-safe dictionary: the table as a list of records and the settings."""
        return json_safe({"table": self.table.to_dict(orient="records"), "reference": self.reference,
                          "target": list(self.target), "scale": self.scale, "ci_level": self.ci_level,
                          "n_rows_dropped": self.n_rows_dropped})  # type: ignore[return-value]

    def summary(self) -> str:
        """The table as text."""
        return (f"Leniency against {self.reference!r} ({self.scale}; {self.n_rows_dropped} rows dropped)\n"
                + self.table.to_string(index=False))
