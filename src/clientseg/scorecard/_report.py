"""Evaluation of a scorecard: discrimination, gains, calibration and drift (result objects)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.metrics import roc_auc_score, roc_curve

from clientseg._core.summary import Summary

__all__ = ["ScoreDrift", "ScorecardReport", "psi"]

#: PSI thresholds: below 0.1 stable, 0.1 to 0.25 moderate shift, above 0.25 major shift.
PSI_THRESHOLDS = (0.1, 0.25)
_PSI_EPS = 1e-4  # share given to an empty bin so the logarithm stays finite


def _rank_groups(values: np.ndarray, n_groups: int) -> np.ndarray:
    """Group 1 = highest values; ties share a group (so groups can be unequal or empty)."""
    ranks = pd.Series(-values).rank(method="max").to_numpy()
    return np.clip(np.ceil(ranks * n_groups / len(values)), 1, n_groups).astype(int)


def gains_table(scores: np.ndarray, y: np.ndarray, n_groups: int = 10) -> pd.DataFrame:
    """Decile gains and lift: group 1 holds the best scores; tied scores are never split."""
    group = _rank_groups(scores, n_groups)
    df = pd.DataFrame({"decile": group, "score": scores, "y": y})
    g = df.groupby("decile", sort=True).agg(
        contacts=("y", "size"), converted=("y", "sum"),
        score_min=("score", "min"), score_max=("score", "max"))
    g = g.reset_index()
    base = y.mean()
    g["conversion_rate"] = g["converted"] / g["contacts"]
    g["lift"] = g["conversion_rate"] / base if base > 0 else np.nan
    g["cum_share"] = g["contacts"].cumsum() / len(y)
    g["cum_capture"] = g["converted"].cumsum() / max(int(y.sum()), 1)
    g["cum_lift"] = g["cum_capture"] / g["cum_share"]
    return g


def reliability_table(proba: np.ndarray, y: np.ndarray, n_groups: int = 10) -> pd.DataFrame:
    """Mean predicted probability against observed conversion rate in probability deciles."""
    group = _rank_groups(proba, n_groups)
    df = pd.DataFrame({"group": group, "p": proba, "y": y})
    g = df.groupby("group", sort=True).agg(
        contacts=("y", "size"), predicted=("p", "mean"), observed=("y", "mean"),
        expected_conversions=("p", "sum"), converted=("y", "sum")).reset_index()
    return g.sort_values("predicted").reset_index(drop=True)


@dataclass(frozen=True)
class ScorecardReport:
    """How well a scorecard ranks and predicts conversions on one set of contacts.

    Attributes
    ----------
    auc, gini, ks : float
        Area under the ROC curve, ``2 AUC - 1``, and the Kolmogorov-Smirnov statistic
        (largest gap between the score distributions of converted and other contacts).
    brier : float
        Mean squared error of the predicted probabilities.
    hosmer_lemeshow, hosmer_lemeshow_pvalue : float
        Hosmer-Lemeshow statistic on the reliability groups (``groups - 2`` degrees of freedom).
    rounding_auc_loss : float
        AUC of the exact (unrounded) log-odds minus the AUC of the score, on these contacts
        (0 when points are not rounded; NaN when unknown).
    n, n_converted : int
        Contacts and conversions evaluated.
    gains : DataFrame
        Decile gains table: contacts, conversions, rate, lift, cumulative capture and lift.
    reliability : DataFrame
        Predicted against observed conversion rate by probability decile.
    scores, y, proba : ndarray
        The evaluated scores, outcomes and probabilities (for the plots).
    """

    auc: float
    gini: float
    ks: float
    brier: float
    hosmer_lemeshow: float
    hosmer_lemeshow_pvalue: float
    rounding_auc_loss: float
    n: int
    n_converted: int
    gains: pd.DataFrame = field(repr=False)
    reliability: pd.DataFrame = field(repr=False)
    scores: np.ndarray = field(repr=False)
    y: np.ndarray = field(repr=False)
    proba: np.ndarray = field(repr=False)

    @classmethod
    def compute(cls, scores: np.ndarray, proba: np.ndarray, y: np.ndarray,
                exact: np.ndarray | None = None) -> ScorecardReport:
        """Compute every figure from scores, probabilities, 0/1 outcomes (and exact log-odds)."""
        scores = np.asarray(scores, dtype=float)
        proba = np.asarray(proba, dtype=float)
        y = np.asarray(y, dtype=float)
        auc = float(roc_auc_score(y, scores))
        fpr, tpr, _ = roc_curve(y, scores)
        rel = reliability_table(proba, y)
        expected = rel["expected_conversions"].to_numpy()
        n_g = rel["contacts"].to_numpy()
        obs = rel["converted"].to_numpy()
        denom = expected * (1 - expected / n_g)
        ok = denom > 0
        hl = float(np.sum((obs[ok] - expected[ok]) ** 2 / denom[ok]))
        dof = max(int(ok.sum()) - 2, 1)
        for arr in (scores, proba, y):
            arr.setflags(write=False)
        return cls(
            auc=auc, gini=2 * auc - 1, ks=float(np.max(tpr - fpr)),
            brier=float(np.mean((proba - y) ** 2)), hosmer_lemeshow=hl,
            hosmer_lemeshow_pvalue=float(stats.chi2.sf(hl, dof)),
            rounding_auc_loss=float(roc_auc_score(y, exact)) - auc if exact is not None
            else float("nan"),
            n=len(y), n_converted=int(y.sum()), gains=gains_table(scores, y),
            reliability=rel, scores=scores, y=y, proba=proba,
        )

    def to_frame(self) -> pd.DataFrame:
        """Return the headline figures as a tidy frame (metric, value)."""
        names = ["auc", "gini", "ks", "brier", "hosmer_lemeshow", "hosmer_lemeshow_pvalue",
                 "rounding_auc_loss", "n", "n_converted"]
        return pd.DataFrame({"metric": names, "value": [float(getattr(self, k)) for k in names]})

    def summary(self) -> Summary:
        """Return a printable summary (``str``) that also renders as HTML in Jupyter."""
        rate = self.n_converted / self.n if self.n else float("nan")
        metrics = [
            ("contacts", f"{self.n:,}"), ("converted", f"{self.n_converted:,} ({rate:.2%})"),
            ("AUC", f"{self.auc:.4f}"), ("Gini", f"{self.gini:.4f}"), ("KS", f"{self.ks:.4f}"),
            ("Brier", f"{self.brier:.5f}"),
            ("AUC lost to rounding", f"{self.rounding_auc_loss:.5f}"),
            ("Hosmer-Lemeshow",
             f"{self.hosmer_lemeshow:.2f} (p = {self.hosmer_lemeshow_pvalue:.3f})"),
        ]
        return Summary("Scorecard evaluation", metrics,
                        [("Gains by decile (1 = best scores)", self.gains.round(4)),
                         ("Reliability", self.reliability.round(4))])

    def plot(self, kind: str = "gains", *, ax: Any = None, **kwargs: Any) -> Any:
        """Draw the ``"gains"`` curve, ``"lift"``, ``"calibration"`` or ``"distribution"``."""
        from clientseg.scorecard import _plotting as p
        funcs = {"gains": p.plot_gains, "lift": p.plot_lift, "calibration": p.plot_calibration,
                 "distribution": p.plot_score_distribution}
        if kind not in funcs:
            from clientseg._core.validation import check_options

            check_options("kind", kind, list(funcs))
        return funcs[kind](self, ax=ax, **kwargs)


@dataclass(frozen=True)
class ScoreDrift:
    """Population stability of scores (and of each criterion's levels) between two periods.

    Attributes
    ----------
    psi : float
        Population stability index of the scores: ``sum (a - e) ln(a / e)`` over score bins,
        ``e`` the share in the first period and ``a`` in the second.
    status : str
        ``"stable"`` (PSI < 0.1), ``"moderate shift"`` (0.1 to 0.25) or ``"major shift"``.
    table : DataFrame
        Per score bin: the two shares and the bin's contribution to the PSI.
    by_criterion : Series
        The same index computed on each criterion's levels (characteristic stability).
    """

    psi: float
    status: str
    table: pd.DataFrame = field(repr=False)
    by_criterion: pd.Series = field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        """PSI of the score and of every criterion, with their status."""
        vals = pd.concat([pd.Series({"(score)": self.psi}), self.by_criterion])
        return pd.DataFrame({"variable": vals.index, "psi": vals.to_numpy(),
                             "status": [psi_status(v) for v in vals.to_numpy()]})

    def summary(self) -> Summary:
        """Return a printable summary that renders as HTML too."""
        metrics = [("PSI", f"{self.psi:.4f}"), ("status", self.status)]
        return Summary("Score drift", metrics, [("By criterion", self.to_frame().round(4)),
                                                   ("Score bins", self.table.round(4))])


def psi_status(value: float) -> str:
    """Name the PSI band: stable, moderate shift, major shift."""
    if value < PSI_THRESHOLDS[0]:
        return "stable"
    return "moderate shift" if value < PSI_THRESHOLDS[1] else "major shift"


def _psi_from_counts(
    expected: np.ndarray, actual: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    e = np.maximum(expected / max(expected.sum(), 1), _PSI_EPS)
    a = np.maximum(actual / max(actual.sum(), 1), _PSI_EPS)
    contrib = (a - e) * np.log(a / e)
    return float(contrib.sum()), e, a, contrib


def psi(expected: Any, actual: Any, *, n_bins: int = 10) -> float:
    """Compute the population stability index between two samples of scores.

    Bins are the deciles of ``expected`` (ties kept together); an empty bin counts as a
    share of 1e-4 so the logarithm stays finite.

    Parameters
    ----------
    expected, actual : array-like of float
        Scores in the reference period and in the period checked.
    n_bins : int, default 10
        Number of quantile bins taken on ``expected``.

    Returns
    -------
    float
        The PSI: below 0.1 stable, 0.1 to 0.25 moderate shift, above 0.25 major shift.

    Examples
    --------
    >>> import numpy as np
    >>> from clientseg.scorecard import psi
    >>> rng = np.random.default_rng(0)
    >>> round(psi(rng.normal(50, 10, 5000), rng.normal(50, 10, 5000)), 3) < 0.1
    True
    """
    from clientseg._core.validation import check_scalar, check_vector

    check_scalar("n_bins", n_bins, kind=int, low=2)
    fix = "Drop them from both samples first: a PSI cannot place them in a bin."
    e = check_vector(expected, param="expected", fix=fix)
    a = check_vector(actual, param="actual", fix=fix)
    value, *_ = _psi_from_counts(*score_bin_counts(e, a, n_bins))
    return value


def score_bin_counts(e: np.ndarray, a: np.ndarray, n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Count both samples in the quantile bins of ``e``."""
    edges = np.unique(np.quantile(e, np.linspace(0, 1, n_bins + 1)[1:-1], method="inverted_cdf"))
    edges = edges[edges > e.min()]
    be = np.searchsorted(edges, e, side="right")
    ba = np.searchsorted(edges, a, side="right")
    k = len(edges) + 1
    return np.bincount(be, minlength=k).astype(float), np.bincount(ba, minlength=k).astype(float)


def drift(then_scores: np.ndarray, now_scores: np.ndarray,
          then_codes: dict[str, tuple[np.ndarray, int]],
          now_codes: dict[str, tuple[np.ndarray, int]], n_bins: int = 10) -> ScoreDrift:
    """Build a :class:`ScoreDrift` from scores and per-criterion level codes of both periods."""
    ce, ca = score_bin_counts(then_scores, now_scores, n_bins)
    value, _, _, contrib = _psi_from_counts(ce, ca)
    edges = np.unique(np.quantile(then_scores, np.linspace(0, 1, n_bins + 1)[1:-1],
                                  method="inverted_cdf"))
    edges = edges[edges > then_scores.min()]
    lows = np.concatenate([[-np.inf], edges])
    table = pd.DataFrame({"score_from": lows, "score_to": np.append(edges, np.inf),
                          "share_then": ce / ce.sum(), "share_now": ca / ca.sum(),
                          "psi": contrib})
    by = {}
    for name, (codes_t, k) in then_codes.items():
        codes_n = now_codes[name][0]
        cnt_t = np.bincount(codes_t[codes_t >= 0], minlength=k).astype(float)
        cnt_n = np.bincount(codes_n[codes_n >= 0], minlength=k).astype(float)
        by[name] = _psi_from_counts(cnt_t, cnt_n)[0]
    return ScoreDrift(psi=value, status=psi_status(value), table=table,
                      by_criterion=pd.Series(by, name="psi", dtype=float))
