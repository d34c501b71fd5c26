"""Tables and fit diagnostics of a scorecard: coefficients, points, bands, grades, warnings."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from clientseg._core.validation import _fmt_list
from clientseg.exceptions import ConvergenceWarning, SeparationWarning
from clientseg.scorecard._banding import MISSING_LABEL, Criterion
from clientseg.scorecard._fit import FitResult
from clientseg.scorecard._points import effective_cutoffs

__all__: list[str] = []

#: A standard error above this (on the log-odds scale) means the level is not estimable.
HUGE_SE = 10.0
#: Name of the intercept row of the coefficient table.
INTERCEPT = "(intercept)"
#: Coefficient table columns.
COEF_COLUMNS = ["criterion", "level", "coef", "se", "z", "p_value", "ci_low", "ci_high",
                "contacts", "conversion_rate", "reference"]


def coef_table(criteria: Sequence[Criterion], columns: Sequence[np.ndarray], beta: np.ndarray,
               cov: np.ndarray) -> pd.DataFrame:
    """One row per level (reference levels: coefficient 0, no SE) plus the intercept."""
    se_all = np.sqrt(np.maximum(np.diag(cov), 0.0))
    zcrit = stats.norm.ppf(0.975)
    n_all = int(criteria[0].counts.sum()) if criteria else 0
    e_all = int(criteria[0].events.sum()) if criteria else 0
    rows: list[dict[str, Any]] = [{
        "criterion": INTERCEPT, "level": "", "coef": beta[0], "se": se_all[0],
        "contacts": n_all, "conversion_rate": e_all / n_all if n_all else np.nan,
        "reference": False,
    }]
    for crit, col in zip(criteria, columns, strict=True):
        for lev, label in enumerate(crit.labels):
            j = int(col[lev])
            rows.append({
                "criterion": crit.name, "level": label,
                "coef": beta[j] if j >= 0 else 0.0, "se": se_all[j] if j >= 0 else np.nan,
                "contacts": int(crit.counts[lev]),
                "conversion_rate": crit.events[lev] / crit.counts[lev]
                if crit.counts[lev] else np.nan,
                "reference": j < 0,
            })
    table = pd.DataFrame(rows)
    table["z"] = table["coef"] / table["se"]
    table["p_value"] = 2 * stats.norm.sf(np.abs(table["z"]))
    table["ci_low"] = table["coef"] - zcrit * table["se"]
    table["ci_high"] = table["coef"] + zcrit * table["se"]
    return table[COEF_COLUMNS]


def points_table(
    criteria: Sequence[Criterion], points: Sequence[np.ndarray], coefs: Sequence[np.ndarray],
    refs: Sequence[int],
) -> tuple[pd.DataFrame, pd.Series]:
    """Build the scorecard table and the information value of every criterion.

    WoE of a level: ``ln(share of conversions / share of non-conversions)`` with 0.5 added to
    every cell (so empty cells stay finite). IV: ``sum (d1 - d0) ln(d1 / d0)`` over levels
    with both outcomes, unsmoothed (the textbook value: 0.666 for German credit's checking
    account).
    """
    rows = []
    iv = {}
    for crit, pts, b, ref in zip(criteria, points, coefs, refs, strict=True):
        n_tot = crit.counts.sum()
        e_tot = max(int(crit.events.sum()), 1)
        ne_tot = max(int(n_tot - crit.events.sum()), 1)
        dist_e = (crit.events + 0.5) / (e_tot + 0.5 * crit.n_levels)
        dist_ne = (crit.counts - crit.events + 0.5) / (ne_tot + 0.5 * crit.n_levels)
        woe = np.log(dist_e / dist_ne)
        raw_e = crit.events / e_tot
        raw_ne = (crit.counts - crit.events) / ne_tot
        with np.errstate(divide="ignore", invalid="ignore"):
            contrib = np.where((raw_e > 0) & (raw_ne > 0),
                               (raw_e - raw_ne) * np.log(raw_e / raw_ne), 0.0)
        iv[crit.name] = float(contrib.sum())
        for lev, label in enumerate(crit.labels):
            rows.append({
                "criterion": crit.name, "level": label, "points": float(pts[lev]),
                "points_vs_typical": float(pts[lev] - pts[ref]), "coef": float(b[lev]),
                "contacts": int(crit.counts[lev]),
                "share": float(crit.counts[lev] / n_tot) if n_tot else np.nan,
                "conversion_rate": float(crit.events[lev] / crit.counts[lev])
                if crit.counts[lev] else np.nan,
                "woe": float(woe[lev]), "reference": lev == ref,
            })
    values = pd.Series(iv, name="information_value", dtype=float)
    values.index.name = "criterion"
    return pd.DataFrame(rows), values


def bands_table(criteria: Sequence[Criterion]) -> pd.DataFrame:
    """How every criterion was cut: band bounds or the raw values of each level."""
    rows = []
    for crit in criteria:
        for lev, label in enumerate(crit.labels):
            row: dict[str, Any] = {"criterion": crit.name, "level": label,
                                   "kind": crit.kind, "method": crit.method,
                                   "lower": np.nan, "upper": np.nan, "values": None,
                                   "includes_missing": crit.missing_level == lev}
            if crit.kind == "numeric" and label != MISSING_LABEL:
                bounds = np.concatenate([[-np.inf], crit.edges, [np.inf]])
                row["lower"], row["upper"] = bounds[lev], bounds[lev + 1]
            elif crit.kind == "categorical":
                row["values"] = list(crit.values[lev])
            rows.append(row)
    return pd.DataFrame(rows)


def grade_table(grades: np.ndarray, labels: list[str], cutoffs: np.ndarray,
                y: np.ndarray | None) -> pd.DataFrame:
    """Size per grade and, with outcomes, conversion rate, lift and cumulative capture."""
    cat = pd.Categorical(grades, categories=labels, ordered=True)
    counts = pd.Series(cat).value_counts(sort=False).reindex(labels).to_numpy()
    cuts = np.concatenate([[np.inf], effective_cutoffs(cutoffs), [-np.inf]])
    table = pd.DataFrame({"grade": labels, "score_from": cuts[1:], "score_to": cuts[:-1],
                          "contacts": counts, "share": counts / len(grades)})
    if y is not None:
        conv = pd.Series(y).groupby(cat, observed=False).sum().reindex(labels).to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.where(counts > 0, conv / np.maximum(counts, 1), np.nan)
        table["converted"] = conv
        table["conversion_rate"] = rate
        table["lift"] = rate / y.mean()
        table["cum_capture"] = np.cumsum(conv) / max(int(y.sum()), 1)
    return table


def _ridge_fix(ridge: float) -> str:
    """Return the ridge advice of a fit warning: start one, or strengthen the one given."""
    if ridge > 0:
        return f"pass a larger ridge (now ridge={ridge:g}; try ridge={max(10 * ridge, 1.0):g})"
    return "pass ridge=1.0"


def _level_owners(criteria: Sequence[Criterion],
                  columns: Sequence[np.ndarray]) -> dict[int, tuple[str, str, int]]:
    """Design column -> (criterion, level label, contacts) for every non-reference level."""
    return {int(j): (crit.name, crit.labels[lev], int(crit.counts[lev]))
            for crit, col in zip(criteria, columns, strict=True)
            for lev, j in enumerate(col) if j >= 0}


def aliased_criteria(res: FitResult, criteria: Sequence[Criterion],
                     columns: Sequence[np.ndarray]) -> list[str]:
    """Criteria owning a design column that the fit found aliased, sorted."""
    owners = _level_owners(criteria, columns)
    return sorted({owners[j][0] for j in res.aliased if j in owners})


def warn_zero_cells(criteria: Sequence[Criterion], min_share: float, *,
                    ridge: float = 0.0) -> list[tuple[str, str]]:
    """Warn about levels with no conversion or only conversions; return them.

    Without a penalty their coefficients run to +-infinity; with ``ridge > 0`` they stay
    finite but are set by the penalty, not by the data, and the message says so.
    """
    found: list[str] = []
    levels: list[tuple[str, str]] = []
    for crit in criteria:
        for lev, (n, e) in enumerate(zip(crit.counts, crit.events, strict=True)):
            if n > 0 and (e == 0 or e == n) and crit.n_levels > 1:
                what = "no conversion" if e == 0 else "only conversions"
                found.append(f"{crit.name!r} level {crit.labels[lev]!r} ({n:,} contacts, {what})")
                levels.append((crit.name, crit.labels[lev]))
    if found:
        if ridge > 0:
            why = (f"With ridge={ridge:g} their coefficients stay finite, but the penalty, "
                   f"not the data, sets their size (and their points).")
        else:
            why = "Their coefficients are not estimable (they run to +-infinity)."
        warnings.warn(
            f"{len(found)} level(s) separate the outcome perfectly: {'; '.join(found[:8])}"
            f"{' ...' if len(found) > 8 else ''}. {why} Raise min_share (now {min_share}) to "
            f"merge them, band more coarsely, or {_ridge_fix(ridge)}.",
            SeparationWarning, stacklevel=3,
        )
    return levels


def _largest_se(levels: pd.DataFrame, *, with_contacts: bool, n: int = 5) -> str:
    """Name the ``n`` levels of largest standard error (missing ones last), for a warning."""
    ranked = levels.reindex(levels["se"].sort_values(ascending=False,
                                                     na_position="last").index).head(n)
    return "; ".join(f"{r.criterion!r} level {r.level!r} (SE {r.se:.3g}"
                     + (f", {int(r.contacts):,} contacts)" if with_contacts else ")")
                     for r in ranked.itertuples())


def _not_converged_message(res: FitResult, levels: pd.DataFrame,
                           owners: dict[int, tuple[str, str, int]], *, max_iter: int,
                           tol: float, ridge: float) -> str:
    """Name the levels that were still moving when ``max_iter`` stopped the fit.

    With the last Newton step known, the levels are ranked by how far it moved them and
    counted against the convergence threshold ``tol * (1 + max |beta|)``; otherwise they
    are ranked by standard error.
    """
    head = (f"The fit did not converge in max_iter={max_iter} Newton steps (last largest "
            f"coefficient change {res.max_step:.3g}, tol={tol})")
    step = res.last_step
    if step is not None and owners and len(step) > max(owners):
        moved = np.abs(np.asarray(step, dtype=float))
        threshold = tol * (1 + float(np.max(np.abs(res.beta))))
        order = sorted(owners, key=lambda j: -moved[j])
        moving = [j for j in order if moved[j] > threshold]
        crits = {owners[j][0] for j in moving}
        names = "; ".join(f"{owners[j][0]!r} level {owners[j][1]!r} (step {moved[j]:.3g}, "
                          f"{owners[j][2]:,} contacts)" for j in order[:5])
        what = (f"{len(moving)} of {len(owners)} levels, in {len(crits)} criteria, still "
                f"moved by more than tol * (1 + max |coef|) = {threshold:.3g}; largest last "
                f"steps: {names}")
    else:
        names = _largest_se(levels, with_contacts="contacts" in levels)
        what = f"{len(levels)} levels; largest standard errors: {names}"
    return (f"{head}: {what}. Raise max_iter (now {max_iter}), {_ridge_fix(ridge)}, or merge "
            f"those levels (min_share, edges).")


def warn_fit(res: FitResult, table: pd.DataFrame, criteria: Sequence[Criterion],
             columns: Sequence[np.ndarray], zero_cells: list[tuple[str, str]], *,
             max_iter: int, tol: float, ridge: float = 0.0) -> None:
    """Warn about divergence, non-convergence, huge standard errors and aliasing.

    Every message names the criteria and levels concerned and its fix; the ridge advice
    follows ``ridge`` (start one, or strengthen the one given).
    """
    levels = table[~table["reference"] & (table["criterion"] != INTERCEPT)]
    owners = _level_owners(criteria, columns)
    fix = _ridge_fix(ridge)
    if res.diverging and zero_cells:
        pass  # the zero-cell SeparationWarning already explains the divergence
    elif res.diverging:
        top = levels.reindex(levels["coef"].abs().sort_values(ascending=False).index).head(3)
        names = "; ".join(f"{r.criterion!r} level {r.level!r} (coef {r.coef:.1f})"
                          for r in top.itertuples())
        warnings.warn(
            f"The fit diverges (quasi-complete separation): the log-likelihood stopped "
            f"improving after {res.n_iter} Newton steps while coefficients keep growing, "
            f"largest: {names}. Merge those levels (min_share, edges) or {fix}.",
            SeparationWarning, stacklevel=3,
        )
    elif not res.converged:
        warnings.warn(
            _not_converged_message(res, levels, owners, max_iter=max_iter, tol=tol,
                                   ridge=ridge),
            ConvergenceWarning, stacklevel=3,
        )
    named = set(zero_cells)
    huge = levels[(levels["se"] > HUGE_SE).to_numpy() & np.array(
        [(c, lev) not in named for c, lev in zip(levels["criterion"], levels["level"],
                                                 strict=True)], dtype=bool)]
    if len(huge) and not (res.diverging and zero_cells):  # separation explains those too
        names = "; ".join(f"{r.criterion!r} level {r.level!r} (SE {r.se:.3g})"
                          for r in huge.head(8).itertuples())
        warnings.warn(
            f"{len(huge)} level(s) have standard errors above {HUGE_SE:g} on the log-odds "
            f"scale: {names}. Their points are not reliable: merge them (min_share, edges) "
            f"or {fix}.",
            SeparationWarning, stacklevel=3,
        )
    if res.singular:
        crits = aliased_criteria(res, criteria, columns)
        if not crits:
            # no exact null space: the Hessian is only ill-conditioned. A diverging fit makes
            # it so (its fitted probabilities reach 0 and 1), and was reported above.
            if not res.diverging and len(levels):
                names = _largest_se(levels, with_contacts=False)
                warnings.warn(
                    f"The design is nearly singular (ill-conditioned Hessian) across "
                    f"{len(levels)} levels, so their standard errors are unreliable; largest: "
                    f"{names}. Drop or merge near-redundant criteria and levels (min_share, "
                    f"edges) or {fix}.",
                    ConvergenceWarning, stacklevel=3,
                )
            return
        warnings.warn(
            f"The design is singular: {len(crits)} criteria are aliased (some levels are "
            f"exact combinations of others): {_fmt_list(crits)}. Their coefficients and the "
            f"weights shared between them are not identified. Drop redundant criteria or "
            f"{fix}.",
            ConvergenceWarning, stacklevel=3,
        )
