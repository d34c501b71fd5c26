"""A points grid against conversions: evaluation, calibration, revision and drift.

The functions read a grid's compiled criteria and rule codes (:mod:`._grid_rules`); the
grid class (:mod:`._grid`) calls them, so this module never imports it. Conversion rates
get Wilson score intervals (Wilson 1927): for ``k`` conversions out of ``n`` and
``z = 1.96``, centre ``(p + z^2 / 2n) / (1 + z^2 / n)`` and half-width
``z sqrt(p (1 - p) / n + z^2 / 4n^2) / (1 + z^2 / n)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats
from scipy.special import expit
from sklearn.metrics import roc_auc_score
from sklearn.utils import check_random_state

from clientseg._core.summary import Summary
from clientseg._core.validation import check_binary_target
from clientseg.exceptions import InvalidDataError, InvalidParameterError
from clientseg.scorecard._grid_rules import CompiledCriterion, adjust_best, fmt_number
from clientseg.scorecard._report import ScorecardReport, psi, psi_status

__all__ = ["GridDrift", "GridReport", "GridRevision"]

Z95 = float(stats.norm.ppf(0.975))
EARNS = "earns points but converts below the base rate"
LOSES = "loses points but converts above the base rate"


def outcome(y: Any, n: int) -> np.ndarray:
    """Return the 0/1 outcome as floats, checked (length, two values)."""
    from clientseg._core.backends import native_pandas

    if not isinstance(y, pd.Series | np.ndarray | list):
        y = native_pandas(y)
        if isinstance(y, pd.DataFrame) and y.shape[1] == 1:
            y = y.iloc[:, 0]
    arr = np.asarray(y).ravel()
    if arr.shape[0] != n:
        raise InvalidParameterError(
            f"Parameter 'converted' has {arr.shape[0]:,} values but X has {n:,} rows. Pass "
            f"one 0/1 outcome per contact, in X's order."
        )
    y01, _ = check_binary_target(arr, n_expected=n, param="converted", owner="PointsGrid")
    return np.asarray(y01, dtype=float)


def wilson(k: np.ndarray, n: np.ndarray, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of the proportions ``k / n`` (NaN where ``n`` is 0)."""
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    return centre - half, centre + half


# ----------------------------------------------------------------------------- fitting


def fit_logit(X: np.ndarray, y: np.ndarray, *, bounds: Sequence[tuple[float | None, float | None]]
              | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Maximum-likelihood logistic regression (first column: intercept); (beta, covariance).

    L-BFGS-B on the exact log-likelihood, with ``bounds`` on the coefficients when given
    (sign constraints); the covariance is the inverse Hessian ``(X' W X)^-1`` at the optimum.
    """
    rate = float(np.clip(y.mean(), 1e-6, 1 - 1e-6))
    beta0 = np.zeros(X.shape[1])
    beta0[0] = np.log(rate / (1 - rate))

    def nll(b: np.ndarray) -> tuple[float, np.ndarray]:
        eta = X @ b
        loss = float(np.sum(np.logaddexp(0.0, eta) - y * eta))
        return loss, X.T @ (expit(eta) - y)

    res = optimize.minimize(nll, beta0, jac=True, method="L-BFGS-B", bounds=bounds,
                            options={"maxiter": 2000, "gtol": 1e-9, "ftol": 1e-14})
    beta = res.x
    mu = expit(X @ beta)
    hess = (X * (mu * (1 - mu))[:, None]).T @ X
    try:
        cov = np.linalg.inv(hess + 1e-10 * np.eye(len(beta)))
    except np.linalg.LinAlgError:
        cov = np.linalg.pinv(hess)
    return beta, cov


def calibrate(scores: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Intercept and slope of the log-odds of conversion on the score."""
    beta, _ = fit_logit(np.column_stack([np.ones(len(scores)), scores]), y)
    return float(beta[0]), float(beta[1])


def proba(scores: np.ndarray, calibration: tuple[float, float]) -> np.ndarray:
    """Conversion probability of scores under a calibration."""
    return np.asarray(expit(calibration[0] + calibration[1] * scores), dtype=float)


# ----------------------------------------------------------------------------- evaluate


def rule_table(compiled: Sequence[CompiledCriterion], codes: Sequence[np.ndarray],
               y: np.ndarray) -> pd.DataFrame:
    """Per rule: points, contacts, conversions, rate with its Wilson interval, lift."""
    rows = []
    n = len(y)
    base = float(y.mean()) if n else np.nan
    for c, k in zip(compiled, codes, strict=True):
        m = len(c.rules)
        cnt = np.bincount(k, minlength=m + 1)[:m].astype(float)
        ev = np.bincount(k, weights=y, minlength=m + 1)[:m]
        lo, hi = wilson(ev, cnt)
        pts = np.array([r.points for r in c.rules])
        mean_pts = float(np.sum(pts * cnt) / cnt.sum()) if cnt.sum() else np.nan
        for j, r in enumerate(c.rules):
            rows.append({"criterion": c.name, "rule": r.text, "points": r.points,
                         "points_vs_mean": r.points - mean_pts, "contacts": int(cnt[j]),
                         "share": cnt[j] / n if n else np.nan, "converted": int(ev[j]),
                         "conversion_rate": ev[j] / cnt[j] if cnt[j] else np.nan,
                         "ci_low": lo[j], "ci_high": hi[j],
                         "lift": ev[j] / cnt[j] / base if cnt[j] and base > 0 else np.nan})
    table = pd.DataFrame(rows)
    eps = 1e-9
    earns = table["points_vs_mean"] > eps
    loses = table["points_vs_mean"] < -eps
    below = table["ci_high"] < base
    above = table["ci_low"] > base
    verdict = np.where(table["contacts"] == 0, "no contact",
                       np.where(earns & below, EARNS, np.where(loses & above, LOSES, np.where(
                           ~earns & ~loses, "no points difference", np.where(
                               below | above, "agrees", "not significant")))))
    table["verdict"] = verdict
    table["agrees"] = ~table["verdict"].isin([EARNS, LOSES])
    return table


@dataclass(frozen=True)
class GridReport:
    """A points grid tested against conversions (what :meth:`PointsGrid.evaluate` returns).

    Attributes
    ----------
    report : ScorecardReport
        AUC, Gini, KS, Brier, decile gains and lift of the score (probabilities from the
        grid's calibration, or one fitted on these contacts when it has none).
    base_rate : float
        Conversion rate of all the contacts.
    grades : DataFrame
        Per grade: contacts, share, conversions, rate with its Wilson 95% interval, lift.
    rules : DataFrame
        Per rule: points, points above the criterion's average, contacts, share,
        conversions, rate, ``ci_low``/``ci_high`` (Wilson 95%), lift, ``verdict`` and
        ``agrees``. A rule disagrees when it earns more points than its criterion's
        average but its interval lies below the base rate, or the reverse.
    criteria : DataFrame
        Per criterion: points range, ``worth`` (log-odds per point of the criterion over
        log-odds per point of the rest of the grid: 1 when its points are right), the
        coefficient ``coef`` of its points with its 95% interval, ``flagged`` and
        ``verdict`` (see ``docs/user_guide/grid.md``).
    flagged : list of str
        The criteria whose points conversions contradict or do not support, given the
        rest of the grid (``criteria["flagged"]``).
    """

    report: ScorecardReport
    base_rate: float
    grades: pd.DataFrame = field(repr=False)
    rules: pd.DataFrame = field(repr=False)
    criteria: pd.DataFrame = field(repr=False)
    flagged: list[str]

    @property
    def auc(self) -> float:
        """Area under the ROC curve of the score."""
        return self.report.auc

    @property
    def gains(self) -> pd.DataFrame:
        """Decile gains and lift table."""
        return self.report.gains

    @property
    def disagreements(self) -> pd.DataFrame:
        """The rules whose points disagree with their conversion rate."""
        return self.rules[~self.rules["agrees"]].reset_index(drop=True)

    def to_frame(self) -> pd.DataFrame:
        """Return the per-rule table."""
        return self.rules.copy()

    def summary(self) -> Summary:
        """Printable summary (HTML in Jupyter): headline figures, grades, disagreements."""
        metrics = [("contacts", f"{self.report.n:,}"), ("base rate", f"{self.base_rate:.2%}"),
                   ("AUC", f"{self.report.auc:.4f}"), ("Gini", f"{self.report.gini:.4f}"),
                   ("flagged criteria", ", ".join(self.flagged) or "none")]
        cols = ["criterion", "rule", "points", "contacts", "conversion_rate", "ci_low",
                "ci_high", "verdict"]
        return Summary("Points grid evaluation", metrics,
                       [("Grades", self.grades.round(4)),
                        ("Criteria", self.criteria.round(4)),
                        ("Rules that disagree with their conversion rate",
                         self.disagreements[cols].round(4))])

    def plot(self, kind: str = "gains", *, ax: Any = None, **kwargs: Any) -> Any:
        """Draw the score's ``"gains"``, ``"lift"``, ``"calibration"`` or ``"distribution"``."""
        return self.report.plot(kind, ax=ax, **kwargs)


def evaluate(compiled: Sequence[CompiledCriterion], codes: Sequence[np.ndarray],
             scores: np.ndarray, y: np.ndarray, grades: np.ndarray, labels: Sequence[str],
             calibration: tuple[float, float] | None) -> GridReport:
    """Build a :class:`GridReport` (see :meth:`PointsGrid.evaluate`)."""
    cal = calibration if calibration is not None else calibrate(scores, y)
    report = ScorecardReport.compute(scores, proba(scores, cal), y)
    base = float(y.mean())
    g = pd.DataFrame({"grade": pd.Categorical(grades, categories=list(labels), ordered=True),
                      "y": y})
    gt = g.groupby("grade", observed=False)["y"].agg(["size", "sum"]).reset_index()
    gt.columns = ["grade", "contacts", "converted"]
    gt["share"] = gt["contacts"] / len(y)
    with np.errstate(invalid="ignore", divide="ignore"):
        gt["conversion_rate"] = gt["converted"] / gt["contacts"]
    gt["ci_low"], gt["ci_high"] = wilson(gt["converted"].to_numpy(), gt["contacts"].to_numpy())
    gt["lift"] = gt["conversion_rate"] / base
    gt["grade"] = gt["grade"].astype(str)
    rules = rule_table(compiled, codes, y)
    criteria = criterion_table(compiled, codes, scores, y)
    flagged = criteria.loc[criteria["flagged"], "criterion"].tolist()
    return GridReport(report=report, base_rate=base, grades=gt, rules=rules,
                      criteria=criteria, flagged=flagged)


def criterion_table(compiled: Sequence[CompiledCriterion], codes: Sequence[np.ndarray],
                    scores: np.ndarray, y: np.ndarray) -> pd.DataFrame:
    """Weigh each criterion's points against the rest of the grid's, on conversions.

    For criterion ``c`` with points ``s_c``, the logistic regression
    ``logit p = a + b (score - s_c) + g s_c`` measures the log-odds one point of ``c``
    is worth (``g``) next to one point of the rest (``b``). ``worth = g / b`` is 1 for a
    criterion whose points are right, 0 for points that conversions do not support and
    negative for points that go against them. A criterion is flagged when its points
    vary (a range above 0) and ``g`` is not significantly positive (the upper end of its
    95% interval is at or below 0, or its interval holds 0).
    """
    rows = []
    ones = np.ones(len(y))
    for c, k in zip(compiled, codes, strict=True):
        pts = c.rule_points[k]
        span = float(max(r.points for r in c.rules) - min(r.points for r in c.rules))
        if span == 0 or np.ptp(pts) == 0:
            rows.append({"criterion": c.name, "points_range": span, "worth": np.nan,
                         "coef": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                         "flagged": False, "verdict": "no points difference"})
            continue
        rest = scores - pts
        beta, cov = fit_logit(np.column_stack([ones, rest, pts]), y)
        g, se = float(beta[2]), float(np.sqrt(max(cov[2, 2], 0.0)))
        lo, hi = g - Z95 * se, g + Z95 * se
        b = float(beta[1])
        if hi < 0:
            verdict = "its points go against conversions"
        elif lo <= 0:
            verdict = "its points are not supported by conversions"
        else:
            verdict = "supported"
        rows.append({"criterion": c.name, "points_range": span,
                     "worth": g / b if b > 0 else np.nan, "coef": g, "ci_low": lo,
                     "ci_high": hi, "flagged": verdict != "supported", "verdict": verdict})
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- revise


@dataclass(frozen=True)
class GridRevision:
    """A grid revised from conversions (what :meth:`PointsGrid.revise` returns).

    Attributes
    ----------
    grid : PointsGrid
        The revised grid: same rules, new points, same maximum.
    table : DataFrame
        Per rule: criterion, rule, old_points, new_points, ci_low, ci_high (95%, in new
        points), change, contacts, conversion_rate (training contacts), and ``note``.
    auc_old, auc_new : float
        AUC of the old and the revised grid on the held-out contacts (on the training
        contacts when ``test_size=0``).
    n_train, n_test : int
        Contacts used to fit and to compare.
    """

    grid: Any
    table: pd.DataFrame = field(repr=False)
    auc_old: float
    auc_new: float
    n_train: int
    n_test: int

    def to_frame(self) -> pd.DataFrame:
        """Return the side-by-side table of old and new points."""
        return self.table.copy()

    def summary(self) -> Summary:
        """Printable summary: both AUCs and the side-by-side table."""
        where = "held-out" if self.n_test else "training"
        metrics = [("contacts (train / test)", f"{self.n_train:,} / {self.n_test:,}"),
                   (f"AUC old grid ({where})", f"{self.auc_old:.4f}"),
                   (f"AUC revised grid ({where})", f"{self.auc_new:.4f}")]
        cols = ["criterion", "rule", "old_points", "new_points", "ci_low", "ci_high", "change"]
        return Summary("Points grid revision", metrics,
                       [("Old and new points", self.table[cols].round(2))])

    def plot(self, *, ax: Any = None, **kwargs: Any) -> Any:
        """Old against new points of every rule (horizontal bars, CI whiskers); the Axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(7, max(3.0, 0.28 * len(self.table))))
        t = self.table
        pos = np.arange(len(t))[::-1]
        ax.barh(pos + 0.2, t["old_points"], height=0.4, label="old points", color="0.7")
        err = np.vstack([t["new_points"] - t["ci_low"], t["ci_high"] - t["new_points"]])
        ax.barh(pos - 0.2, t["new_points"], height=0.4, label="revised points",
                xerr=np.nan_to_num(np.abs(err)), **kwargs)
        ax.set_yticks(pos)
        ax.set_yticklabels([f"{c}: {r}" for c, r in zip(t["criterion"], t["rule"], strict=True)])
        ax.axvline(0, color="0.3", lw=0.8)
        ax.set_xlabel("points")
        ax.set_title(f"Grid revision (AUC {self.auc_old:.3f} -> {self.auc_new:.3f})")
        ax.legend(loc="best")
        return ax


def _split(n: int, test_size: float, random_state: Any) -> tuple[np.ndarray, np.ndarray]:
    if not 0.0 <= float(test_size) < 1.0:
        raise InvalidParameterError(
            f"Parameter 'test_size' must be a share from 0 (no hold-out) up to 1 excluded; "
            f"got {test_size!r}."
        )
    perm = check_random_state(random_state).permutation(n)
    n_test = round(float(test_size) * n)
    return np.sort(perm[n_test:]), np.sort(perm[:n_test])


def _fit_rules(compiled: Sequence[CompiledCriterion], codes: Sequence[np.ndarray],
               train: np.ndarray, y_tr: np.ndarray, old_pts: Sequence[np.ndarray],
               fixed: Sequence[str], keep_signs: bool, dropped: set[int],
               ) -> tuple[dict[int, int], dict[tuple[int, int], tuple[float, float]],
                          dict[int, float]]:
    """Fit the rules as dummies; return references, (coef, se) per rule, Wald p per criterion.

    The reference of each free criterion is its rule nearest 0 points among those with
    training contacts (ties: the most contacts); criteria in ``fixed`` enter through
    their summed points (one coefficient), criteria in ``dropped`` not at all.
    """
    cols: list[np.ndarray] = [np.ones(len(train))]
    where: list[tuple[int, int]] = []  # (criterion, rule) of each column after the intercept
    bounds: list[tuple[float | None, float | None]] = [(None, None)]
    refs: dict[int, int] = {}
    fixed_score = np.zeros(len(train))
    for i, (c, k) in enumerate(zip(compiled, codes, strict=True)):
        k_tr = k[train]
        if c.name in fixed:
            fixed_score += old_pts[i][k_tr]
            continue
        if i in dropped:
            continue
        m = len(c.rules)
        cnt = np.bincount(k_tr, minlength=m + 1)[:m]
        pts = old_pts[i][:m]
        seen = np.flatnonzero(cnt > 0)
        if seen.size == 0:
            continue
        ref = int(seen[np.lexsort((-cnt[seen], np.abs(pts[seen])))[0]])
        refs[i] = ref
        for j in seen:
            if j == ref:
                continue
            cols.append((k_tr == j).astype(float))
            where.append((i, int(j)))
            sign = np.sign(pts[j]) if keep_signs else 0.0
            bounds.append((0.0, None) if sign > 0 else (None, 0.0) if sign < 0 else (None, None))
    if fixed:
        cols.append(fixed_score)
        bounds.append((0.0, None))
    design = np.column_stack(cols)
    beta, cov = fit_logit(design, y_tr, bounds=bounds if keep_signs or fixed else None)
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    coef = {w: (float(b), float(s)) for w, b, s in zip(where, beta[1:], se[1:], strict=False)}
    wald: dict[int, float] = {}
    for i in refs:
        pos = [1 + n for n, w in enumerate(where) if w[0] == i]
        if not pos:
            continue
        b = beta[pos]
        sub = cov[np.ix_(pos, pos)]
        stat = float(b @ np.linalg.pinv(sub) @ b)
        wald[i] = float(stats.chi2.sf(stat, len(pos)))
    return refs, coef, wald


def revise(grid: Any, codes: Sequence[np.ndarray], y: np.ndarray, *, fixed: Sequence[str],
           keep_signs: bool, round_to: float | None, test_size: float,
           random_state: Any, alpha: float | None = None) -> GridRevision:
    """Refit the grid's rules as a logistic model (see :meth:`PointsGrid.revise`)."""
    compiled: list[CompiledCriterion] = grid._compiled
    names = [c.name for c in compiled]
    unknown = [f for f in fixed if f not in names]
    if unknown:
        raise InvalidParameterError(
            f"Parameter 'fixed' names {len(unknown)} criterion(s) not in the grid: {unknown}. "
            f"Pass some of {names}."
        )
    if round_to is not None and not float(round_to) > 0:
        raise InvalidParameterError(
            f"Parameter 'round_to' must be a positive step (1, 5) or None; got {round_to!r}.")
    train, test = _split(len(y), test_size, random_state)
    y_tr = y[train]
    if y_tr.min() == y_tr.max():
        raise InvalidDataError(
            f"Parameter 'converted' has only {int(y_tr[0])}s among the {len(train):,} "
            f"training contacts: the rules cannot be refitted. Pass contacts with conversions."
        )
    old_pts = [c.rule_points for c in compiled]  # with 0 for "no rule" last
    dropped: set[int] = set()
    refs, coef, wald = _fit_rules(compiled, codes, train, y_tr, old_pts, fixed, keep_signs,
                                  dropped)
    if alpha is not None:
        dropped = {i for i, p in wald.items() if p > float(alpha)}
        if dropped:
            refs, coef, wald2 = _fit_rules(compiled, codes, train, y_tr, old_pts, fixed,
                                           keep_signs, dropped)
            wald.update(wald2)
    base = float(grid.base_points)
    fixed_best = sum(float(old_pts[i][:-1].max()) for i, c in enumerate(compiled)
                     if c.name in fixed)
    free_best = sum(max([0.0] + [coef[(i, j)][0] for j in range(len(c.rules)) if (i, j) in coef])
                    for i, c in enumerate(compiled) if c.name not in fixed)
    remaining = float(grid.max_points) - base - fixed_best
    if free_best <= 0 or remaining <= 0:
        raise InvalidDataError(
            f"The revised grid cannot be scaled to {fmt_number(grid.max_points)} points: the "
            f"free criteria's best rules add {free_best:.3g} log-odds and {remaining:g} points "
            f"are left after base_points and the fixed criteria. Fix fewer criteria or lower "
            f"base_points."
        )
    factor = remaining / free_best
    new_points: list[np.ndarray] = []
    rows = []
    for i, c in enumerate(compiled):
        m = len(c.rules)
        k_tr = codes[i][train]
        cnt = np.bincount(k_tr, minlength=m + 1)[:m]
        ev = np.bincount(k_tr, weights=y_tr, minlength=m + 1)[:m]
        pts = np.empty(m)
        for j, r in enumerate(c.rules):
            if c.name in fixed:
                p, lo, hi, note = r.points, r.points, r.points, "fixed"
            elif i in dropped:
                p, lo, hi, note = 0.0, np.nan, np.nan, f"not significant (p = {wald[i]:.2g})"
            elif refs.get(i) == j:
                p, lo, hi, note = 0.0, 0.0, 0.0, "reference (0 points)"
            elif (i, j) in coef:
                b, s = coef[(i, j)]
                p, lo, hi, note = factor * b, factor * (b - Z95 * s), factor * (b + Z95 * s), ""
            else:
                p, lo, hi, note = 0.0, np.nan, np.nan, "no training contact: 0 points"
            pts[j] = p
            rows.append({"criterion": c.name, "rule": r.text, "old_points": r.points,
                         "new_points": p, "ci_low": lo, "ci_high": hi, "contacts": int(cnt[j]),
                         "conversion_rate": ev[j] / cnt[j] if cnt[j] else np.nan, "note": note})
        new_points.append(pts)
    if round_to is not None:
        step = float(round_to)
        free = [i for i, c in enumerate(compiled) if c.name not in fixed]
        for i in free:
            new_points[i] = np.round(new_points[i] / step) * step
        best = base + sum(float(p.max()) for p in new_points)
        diff = float(grid.max_points) - best
        adjust_best(new_points, free, diff)
    new_points = [p + 0.0 for p in new_points]  # no negative zeros in the tables
    table = pd.DataFrame(rows)
    table["new_points"] = np.concatenate(new_points)
    table["change"] = table["new_points"] - table["old_points"]
    new_grid = grid._replace(new_points, base)
    idx = test if len(test) else train
    y_ev = y[idx]
    old_s = base + sum(old_pts[i][codes[i][idx]] for i in range(len(compiled)))
    new_tab = [np.append(p, 0.0) for p in new_points]
    new_s = base + sum(new_tab[i][codes[i][idx]] for i in range(len(compiled)))
    both = y_ev.min() != y_ev.max()
    return GridRevision(grid=new_grid, table=table,
                        auc_old=float(roc_auc_score(y_ev, old_s)) if both else np.nan,
                        auc_new=float(roc_auc_score(y_ev, new_s)) if both else np.nan,
                        n_train=len(train), n_test=len(test))


# ----------------------------------------------------------------------------- drift


@dataclass(frozen=True)
class GridDrift:
    """A grid reviewed over two periods (what :meth:`PointsGrid.drift` returns).

    Attributes
    ----------
    psi : float
        Population stability index of the scores (:func:`clientseg.scorecard.psi`).
    status : str
        ``"stable"``, ``"moderate shift"`` or ``"major shift"``.
    auc_then, auc_now : float
        The score's AUC in each period.
    rules : DataFrame
        Per rule: share and conversion rate in both periods, the change in rate, and the
        two-proportion z-test's p-value (``changed``: p < 0.05).
    """

    psi: float
    status: str
    auc_then: float
    auc_now: float
    rules: pd.DataFrame = field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        """Return the per-rule table."""
        return self.rules.copy()

    def summary(self) -> Summary:
        """Printable summary: PSI, both AUCs and the rules whose rate changed."""
        metrics = [("PSI", f"{self.psi:.4f} ({self.status})"),
                   ("AUC then / now", f"{self.auc_then:.4f} / {self.auc_now:.4f}")]
        changed = self.rules[self.rules["changed"]]
        return Summary("Points grid over time", metrics,
                       [("Rules whose conversion rate changed", changed.round(4))])


def _auc(y: np.ndarray, s: np.ndarray) -> float:
    return float(roc_auc_score(y, s)) if y.min() != y.max() else float("nan")


def drift(compiled: Sequence[CompiledCriterion], c0: Sequence[np.ndarray], y0: np.ndarray,
          s0: np.ndarray, c1: Sequence[np.ndarray], y1: np.ndarray, s1: np.ndarray) -> GridDrift:
    """Build a :class:`GridDrift` from both periods' rule codes, outcomes and scores."""
    value = psi(s0, s1)
    t0 = rule_table(compiled, c0, y0)
    t1 = rule_table(compiled, c1, y1)
    out = t0[["criterion", "rule", "points"]].copy()
    out["share_then"], out["share_now"] = t0["share"], t1["share"]
    out["rate_then"], out["rate_now"] = t0["conversion_rate"], t1["conversion_rate"]
    out["change"] = out["rate_now"] - out["rate_then"]
    n0, n1 = t0["contacts"].to_numpy(float), t1["contacts"].to_numpy(float)
    k0, k1 = t0["converted"].to_numpy(float), t1["converted"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        pooled = (k0 + k1) / (n0 + n1)
        se = np.sqrt(pooled * (1 - pooled) * (1 / n0 + 1 / n1))
        z = (k1 / n1 - k0 / n0) / se
    p = 2 * stats.norm.sf(np.abs(z))
    out["p_value"] = p
    out["changed"] = np.nan_to_num(p, nan=1.0) < 0.05
    return GridDrift(psi=value, status=psi_status(value), auc_then=_auc(y0, s0),
                     auc_now=_auc(y1, s1), rules=out)
