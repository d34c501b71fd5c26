"""Cut criteria and :func:`select_cut` (private home of :mod:`clientseg.hierarchy.cut`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import linkage as scipy_linkage
from sklearn.utils import check_random_state

from clientseg._core import metrics
from clientseg._core.summary import Summary
from clientseg._core.validation import check_array, check_length, check_options, check_scalar
from clientseg.exceptions import InvalidDataError, InvalidParameterError
from clientseg.hierarchy._tree import WardTree

__all__ = ["CUT_CRITERIA", "DEFAULT_CUT_CRITERIA", "CutResult", "select_cut"]

#: Every criterion select_cut knows, with what it reads and how it picks k.
CUT_CRITERIA: dict[str, str] = {
    "gain_ratio": "tree: Δ_k / Δ_{k+1} (inertia gained by the merge k→k−1 over k+1→k); max",
    "inertia_drop": "tree: 1 − W_k / W_{k−1} (HCPC's relative loss of within-inertia); max",
    "height_jump": "tree: H_k − H_{k+1}, the jump in merge heights above the cut; max",
    "mojena": "tree: standardised height of the merge k→k−1; largest k above 1.25 (Mojena)",
    "calinski_harabasz": "tree: [B_k / (k − 1)] / [W_k / (N − k)]; max",
    "krzanowski_lai": (
        "tree: |DIFF_k / DIFF_{k+1}|, DIFF_k = (k−1)^{2/p} W_{k−1} − k^{2/p} W_k; max"
    ),
    "hartigan": "tree: (W_k / W_{k+1} − 1)(N − k − 1); smallest k at or below 10",
    "davies_bouldin": "rows: mean over segments of the worst (s_i + s_j) / d(c_i, c_j); min",
    "silhouette": "rows (sampled): mean silhouette width; max",
    "gap_pc": "rows (sampled): gap statistic, reference aligned on principal components; 1-SE",
}

#: Criteria computed when ``criteria`` is not given (all of them).
DEFAULT_CUT_CRITERIA: tuple[str, ...] = tuple(CUT_CRITERIA)

_MOJENA_C = 1.25  # Milligan & Cooper (1985) found 1.25 the best constant for Mojena's rule
_HARTIGAN_THRESHOLD = 10.0  # Hartigan (1975): add clusters while the statistic exceeds 10
_MAXIMISE = ("gain_ratio", "inertia_drop", "height_jump", "calinski_harabasz",
             "krzanowski_lai", "silhouette")


@dataclass(frozen=True)
class CutResult:
    """The criteria of every cut of a tree, each criterion's pick and the chosen k.

    Attributes
    ----------
    k : int
        The chosen number of segments.
    reason : str
        One line saying why this k (which rule, which criteria agreed).
    table : DataFrame
        One row per k of ``k_range``: ``within_inertia``, ``r_squared``, every criterion's
        value (NaN where a criterion is undefined at that k), ``gap_se`` (the gap's
        standard error), ``min_share`` / ``min_value_share`` (smallest segment) and
        ``admissible`` (business constraints met).
    picks : Series
        Criterion -> the k it picks on its own (among admissible k).
    removed : DataFrame
        One row per k that a business constraint made inadmissible: ``k``, ``constraint``,
        ``detail``.
    sample_sizes : dict
        Rows used by the sampled criteria (silhouette, gap_pc), and the number of rows.
    rule : str
        The rule that chose k.
    """

    k: int
    reason: str
    table: pd.DataFrame
    picks: pd.Series
    removed: pd.DataFrame
    sample_sizes: dict[str, int] = field(default_factory=dict)
    rule: str = "default"

    def to_frame(self) -> pd.DataFrame:
        """Return the criteria table (one row per k) with a ``chosen`` column."""
        out = self.table.copy()
        out["chosen"] = out.index == self.k
        return out

    def summary(self) -> Summary:
        """Return a printable summary (``str`` and HTML in notebooks)."""
        metrics = [("chosen k", str(self.k)), ("why", self.reason), ("rule", self.rule)]
        metrics += [(f"rows used ({name})", f"{n:,}") for name, n in self.sample_sizes.items()]
        tables = [("Each criterion's pick", self.picks.rename("k picked").reset_index())]
        if len(self.removed):
            tables.append(("Removed by business constraints", self.removed))
        return Summary(f"Where to cut: k = {self.k}", metrics, tables)

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Plot every criterion against k, normalised, with the picks marked."""
        from clientseg.hierarchy.cut._plotting import plot_cut_criteria

        return plot_cut_criteria(self, ax=ax, **kwargs)

    def __repr__(self) -> str:
        ks = self.table.index
        return f"CutResult(k={self.k}, k_range=({ks.min()}, {ks.max()}), rule={self.rule!r})"


# --------------------------------------------------------------------------------------
# The tree and the rows
# --------------------------------------------------------------------------------------


def _tree_from_linkage(Z: Any, X: np.ndarray) -> WardTree:
    """Wrap a scipy Ward linkage built on the rows of X (gains = height² / 2)."""
    Z = np.asarray(Z, dtype=float)
    n = X.shape[0]
    if Z.ndim != 2 or Z.shape != (n - 1, 4):
        raise InvalidParameterError(
            f"Parameter 'tree' is a matrix of shape {Z.shape}; a scipy linkage of the "
            f"{n:,} rows of X has shape ({n - 1:,}, 4). Pass the linkage built on X, a "
            f"WardTree or a fitted HierarchicalSegmenter."
        )
    bad = ~np.isfinite(Z)
    if bad.any():
        row, col = (int(v) for v in np.argwhere(bad)[0])
        raise InvalidParameterError(
            f"Parameter 'tree' has {int(bad.sum()):,} NaN or inf value(s) (first at merge "
            f"{row}, column {col}); a linkage holds finite ids, heights and counts. Pass "
            f"the linkage built on X, e.g. clientseg.ward_linkage(X)."
        )
    heights = Z[:, 2]
    if np.any(np.diff(heights) < -1e-12 * max(1.0, float(heights.max(initial=0.0)))):
        raise InvalidParameterError(
            "Parameter 'tree' has merge heights that decrease; a Ward linkage never does. "
            "Pass scipy.cluster.hierarchy.linkage(X, 'ward') or clientseg.ward_linkage(X)."
        )
    centred = X - X.mean(axis=0)
    d = X.shape[1]
    return WardTree(
        linkage=Z, gains=heights**2 / 2.0, leaf_weights=np.ones(n), leaf_centroids=X,
        node_weights=Z[:, 3], node_centroids=np.full((n - 1, d), np.nan),  # unused by cuts
        leaf_inertia=0.0, total_inertia=float(np.einsum("ij,ij->", centred, centred)),
    )


def _resolve(tree: Any, X: np.ndarray) -> tuple[WardTree, np.ndarray | None, np.ndarray]:
    """Return the tree, the leaf of every row, and row weights.

    The leaves are None when the tree's leaves are the rows; -1 marks rows left out of the
    tree (zero weight).
    """
    n = X.shape[0]
    if isinstance(tree, WardTree):
        if tree.n_leaves != n:
            raise InvalidParameterError(
                f"Parameter 'tree' has {tree.n_leaves:,} leaves but X has {n:,} rows. Pass "
                f"the X the tree was built on, or a fitted HierarchicalSegmenter (whose "
                f"micro-clusters map rows to leaves)."
            )
        return tree, None, np.asarray(tree.leaf_weights, dtype=float)
    if hasattr(tree, "tree_") and hasattr(tree, "micro_labels_"):  # a fitted segmenter
        if len(tree.micro_labels_) != n:
            raise InvalidParameterError(
                f"The segmenter was fitted on {len(tree.micro_labels_):,} rows but X has "
                f"{n:,}. Pass the X the segmenter was fitted on."
            )
        return tree.tree_, np.asarray(tree.micro_labels_), np.ones(n)
    if isinstance(tree, np.ndarray | list | tuple):
        return _tree_from_linkage(tree, X), None, np.ones(n)
    raise InvalidParameterError(
        f"Parameter 'tree' must be a scipy linkage matrix, a WardTree or a fitted "
        f"HierarchicalSegmenter; got {type(tree).__name__}."
    )


def _row_labels(tree: WardTree, leaves: np.ndarray | None, k: int) -> np.ndarray:
    leaf_labels = tree.labels(k)
    return leaf_labels if leaves is None else leaf_labels[leaves]


def _within_all(tree: WardTree, k_max: int) -> np.ndarray:
    """W_k for k = 1..k_max (index k - 1), read off the merge gains."""
    n = tree.n_leaves
    cum = np.concatenate([[0.0], np.cumsum(tree.gains)])
    k = np.arange(1, k_max + 1)
    return tree.leaf_inertia + cum[n - k]


# --------------------------------------------------------------------------------------
# Criteria
# --------------------------------------------------------------------------------------


def _tree_criteria(tree: WardTree, ks: np.ndarray, n_rows: float, p: int) -> pd.DataFrame:
    """Inertia criteria for every k of ``ks`` (values; NaN where undefined)."""
    n = tree.n_leaves
    k_hi = min(int(ks.max()) + 1, n)
    W = np.full(int(ks.max()) + 2, np.nan)  # W[k] for k = 0..max+1; W[0] undefined
    W[1:k_hi + 1] = _within_all(tree, k_hi)
    H = np.full(int(ks.max()) + 2, np.nan)  # H[k] = height of the merge k -> k-1
    kk = np.arange(2, k_hi + 1)
    H[kk] = tree.linkage[n - kk, 2]
    total = tree.total_inertia
    heights = tree.linkage[:, 2]
    sd = heights.std(ddof=1) if heights.size > 1 else np.nan

    with np.errstate(divide="ignore", invalid="ignore"):
        Wk, Wprev, Wnext = W[ks], W[ks - 1], W[ks + 1]
        gain_k = Wprev - Wk  # Δ_k
        gain_next = Wk - Wnext  # Δ_{k+1}
        diff_k = (ks - 1.0) ** (2.0 / p) * Wprev - ks ** (2.0 / p) * Wk
        k1 = ks + 1.0
        diff_next = ks ** (2.0 / p) * Wk - k1 ** (2.0 / p) * Wnext
        out = {
            "within_inertia": Wk,
            "r_squared": 1.0 - Wk / total if total > 0 else np.zeros(ks.size),
            "gain_ratio": gain_k / gain_next,
            "inertia_drop": 1.0 - Wk / Wprev,
            "height_jump": H[ks] - H[ks + 1],
            "mojena": (H[ks] - heights.mean()) / sd,
            "calinski_harabasz": ((total - Wk) / (ks - 1)) / (Wk / (n_rows - ks)),
            "krzanowski_lai": np.abs(diff_k / diff_next),
            "hartigan": (Wk / Wnext - 1.0) * (n_rows - ks - 1),
        }
    frame = pd.DataFrame(out, index=pd.Index(ks, name="k"))
    frame.loc[frame.index == 1, ["gain_ratio", "inertia_drop", "height_jump",
                                 "calinski_harabasz", "krzanowski_lai"]] = np.nan
    return frame.replace([np.inf, -np.inf], np.nan)


def _gap_pc(
    X: np.ndarray, ks_max: int, n_references: int, rng: np.random.RandomState
) -> tuple[np.ndarray, np.ndarray]:
    """Gap statistic and its standard error for k = 1..ks_max on rows ``X``.

    Tibshirani, Walther & Hastie (2001), reference (b): uniform over the box aligned on the
    principal components of X; every data set clustered by the exact Ward tree, whose
    within sum of squares W_k is read for every k at once.
    """
    m = X.shape[0]
    k_max = min(ks_max, m)
    centred = X - X.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    rotated = centred @ vt.T
    lo, hi = rotated.min(axis=0), rotated.max(axis=0)

    def log_within(data: np.ndarray) -> np.ndarray:
        Z = scipy_linkage(data, method="ward")
        # W_k = the first m - k merge gains (gains increase: the last ones are the largest)
        cum = np.concatenate([[0.0], np.cumsum(np.sort(Z[:, 2]) ** 2 / 2.0)])
        within = cum[::-1][:k_max]
        return np.log(np.maximum(within, 1e-300))

    observed = log_within(X)
    refs = np.empty((n_references, k_max))
    for b in range(n_references):
        uniform = lo + (hi - lo) * rng.random_sample(size=rotated.shape)
        refs[b] = log_within(uniform @ vt)
    gap = refs.mean(axis=0) - observed
    se = refs.std(axis=0) * np.sqrt(1.0 + 1.0 / n_references)
    return gap, se


def _pick(name: str, values: pd.Series, ks: np.ndarray, table: pd.DataFrame) -> int:
    """Return the k a criterion picks on its own, among the given (admissible) ks."""
    v = values.reindex(ks)
    if name == "mojena":
        above = v.index[v.to_numpy() > _MOJENA_C]
        return int(above.max()) if len(above) else int(ks.min())
    if name == "hartigan":
        low = v.index[v.to_numpy() <= _HARTIGAN_THRESHOLD]
        return int(low.min()) if len(low) else int(ks.max())
    if name == "gap_pc":
        gap = table["gap_pc"]
        se = table["gap_se"]
        for k in ks:
            if k + 1 in gap.index and not np.isnan(gap[k + 1]):
                if gap[k] >= gap[k + 1] - se[k + 1]:
                    return int(k)
        return int(v.idxmax()) if v.notna().any() else int(ks.min())
    if v.notna().sum() == 0:
        return int(ks.min())
    return int(v.idxmax() if name in _MAXIMISE else v.idxmin())


# --------------------------------------------------------------------------------------
# select_cut
# --------------------------------------------------------------------------------------


def _check_k_range(k_range: Any, n_leaves: int) -> tuple[int, int]:
    if (not isinstance(k_range, Sequence) or len(k_range) != 2
            or isinstance(k_range, str)):
        raise InvalidParameterError(
            f"Parameter 'k_range' must be a pair (k_min, k_max); got {k_range!r}."
        )
    k_min, k_max = (check_scalar("k_range", k, kind=int, low=1) for k in k_range)
    if k_min > k_max:
        raise InvalidParameterError(
            f"Parameter 'k_range' is ({k_min}, {k_max}): k_min is above k_max. Swap them."
        )
    if k_max > n_leaves - 1 and k_max > 1:
        raise InvalidParameterError(
            f"Parameter 'k_range' goes up to {k_max} but the tree has {n_leaves:,} leaves; "
            f"criteria need k + 1 <= leaves. Pass k_max <= {max(n_leaves - 1, 1):,}."
        )
    return int(k_min), int(k_max)


def select_cut(
    tree: Any,
    X: Any,
    *,
    k_range: tuple[int, int] = (2, 10),
    criteria: Sequence[str] | None = None,
    rule: str = "default",
    min_segment_share: float | None = None,
    min_segment_value: float | None = None,
    value: Any = None,
    sample_size: int = 2_000,
    gap_sample_size: int = 1_000,
    n_references: int = 20,
    random_state: Any = None,
) -> CutResult:
    """Choose where to cut a Ward tree: every criterion for every k, and a chosen k.

    Parameters
    ----------
    tree : WardTree, fitted HierarchicalSegmenter or scipy linkage matrix
        The tree to cut. A linkage matrix must be a Ward linkage of the rows of ``X``
        (scipy's height convention); a segmenter maps rows to its micro-clusters.
    X : array-like of shape (n_samples, n_features)
        The rows the tree was built on (already encoded and scaled).
    k_range : (int, int), default (2, 10)
        Smallest and largest k, both included. ``k_min = 1`` lets the rule answer "no
        structure" (gap_pc, Hartigan and Mojena can pick 1; the others need k >= 2).
    criteria : sequence of str, optional
        Names from :data:`CUT_CRITERIA` to compute; default all of them. The default rule needs
        ``gap_pc``, ``calinski_harabasz``, ``gain_ratio``, ``krzanowski_lai``,
        ``silhouette`` and ``davies_bouldin``.
    rule : str, default "default"
        ``"default"`` (documented in the user guide) or the name of one criterion, whose
        own pick is then the chosen k.
    min_segment_share : float in (0, 1), optional
        Every segment must hold at least this share of the rows; smaller k are kept.
    min_segment_value : float in (0, 1), optional
        Every segment must bring at least this share of the total ``value``.
    value : array-like of shape (n_samples,), optional
        Value of each row (revenue, margin), non-negative; needed by ``min_segment_value``.
    sample_size : int, default 2000
        Rows used by the silhouette (all rows when there are fewer).
    gap_sample_size : int, default 1000
        Rows used by the gap statistic (its reference trees have that many leaves).
    n_references : int, default 20
        Reference data sets of the gap statistic.
    random_state : int, RandomState instance or None
        Seed of the samples and reference data sets.

    Returns
    -------
    CutResult

    Examples
    --------
    >>> import numpy as np
    >>> from clientseg import select_cut, ward_tree
    >>> rng = np.random.default_rng(0)
    >>> centres = np.array([[0, 0], [6, 0], [0, 6]])
    >>> X = np.vstack([c + rng.normal(size=(100, 2)) for c in centres])
    >>> result = select_cut(ward_tree(X), X, k_range=(1, 8), random_state=0)
    >>> result.k
    3
    """
    X = check_array(X, param="X", min_samples=2)
    tree_, leaves, _ = _resolve(tree, X)
    return _select(tree_, leaves, X, k_range=k_range, criteria=criteria, rule=rule,
                   min_segment_share=min_segment_share, min_segment_value=min_segment_value,
                   value=value, sample_size=sample_size, gap_sample_size=gap_sample_size,
                   n_references=n_references, random_state=random_state)


def _select(
    tree_: WardTree,
    leaves: np.ndarray | None,
    X: np.ndarray,
    *,
    k_range: Any,
    criteria: Sequence[str] | None,
    rule: str,
    min_segment_share: float | None,
    min_segment_value: float | None,
    value: Any,
    sample_size: int,
    gap_sample_size: int,
    n_references: int,
    random_state: Any,
) -> CutResult:
    """Select a cut of ``tree_`` whose leaves hold the rows of X as ``leaves`` says.

    The engine of :func:`select_cut`, also called by ``HierarchicalSegmenter`` with
    ``n_segments="auto"`` on the tree it has just built.
    """
    k_min, k_max = _check_k_range(k_range, tree_.n_leaves)
    names = list(DEFAULT_CUT_CRITERIA if criteria is None else criteria)
    unknown = sorted(set(names) - set(CUT_CRITERIA))
    if unknown:
        raise InvalidParameterError(
            f"Parameter 'criteria' has {len(unknown)} unknown name(s): {unknown}. Known: "
            f"{list(CUT_CRITERIA)}."
        )
    check_options("rule", rule, ["default", *CUT_CRITERIA])
    if rule == "default":
        missing = sorted(set(_DEFAULT_RULE_NEEDS) - set(names))
        if missing:
            raise InvalidParameterError(
                f"rule='default' needs the criteria {missing}, which 'criteria' leaves out. "
                f"Add them, or pass rule=<one criterion>."
            )
    elif rule not in names:
        names.append(rule)
    check_scalar("sample_size", sample_size, kind=int, low=10)
    check_scalar("gap_sample_size", gap_sample_size, kind=int, low=10)
    check_scalar("n_references", n_references, kind=int, low=2)
    if min_segment_share is not None:
        check_scalar("min_segment_share", min_segment_share, kind=float, low=0.0, high=1.0,
                     low_inclusive=False)
    rng = check_random_state(random_state)

    values = _check_value(value, min_segment_value, X.shape[0])
    sizes: dict[str, int] = {"rows": X.shape[0]}
    if leaves is not None and (leaves < 0).any():  # rows the tree left out (zero weight)
        kept = leaves >= 0
        sizes["rows_not_in_tree"] = int((~kept).sum())
        X, leaves = X[kept], leaves[kept]
        values = None if values is None else values[kept]
        sizes["rows"] = X.shape[0]
    n, p = X.shape
    ks = np.arange(k_min, k_max + 1)
    table = _tree_criteria(tree_, ks, float(tree_.leaf_weights.sum()), p)

    label_ks = [k for k in ks if k >= 2]
    need_labels = bool({"davies_bouldin", "silhouette"} & set(names)) or (
        min_segment_share is not None or min_segment_value is not None)
    sample = rng.choice(n, size=sample_size, replace=False) if n > sample_size else None
    if sample is not None and "silhouette" in names:
        sizes["silhouette"] = sample_size
    elif "silhouette" in names:
        sizes["silhouette"] = n
    table["davies_bouldin"] = np.nan
    table["silhouette"] = np.nan
    table["min_share"] = 1.0
    table["min_value_share"] = 1.0
    if need_labels:
        for k in label_ks:
            labels = _row_labels(tree_, leaves, int(k))
            counts = np.bincount(labels, minlength=k)
            table.loc[k, "min_share"] = counts.min() / n
            if values is not None:
                share = np.bincount(labels, weights=values, minlength=k) / values.sum()
                table.loc[k, "min_value_share"] = share.min()
            if "davies_bouldin" in names:
                table.loc[k, "davies_bouldin"] = metrics.davies_bouldin(
                    *metrics.centres_and_scatter(X, labels, int(k)))
            if "silhouette" in names:
                idx = slice(None) if sample is None else sample
                table.loc[k, "silhouette"] = metrics.silhouette(X[idx], labels[idx],
                                                                int(k))["overall"]

    table["gap_pc"] = np.nan
    table["gap_se"] = np.nan
    if "gap_pc" in names:
        m = min(n, gap_sample_size)
        rows = X if m == n else X[rng.choice(n, size=m, replace=False)]
        gap, se = _gap_pc(rows, k_max + 1, n_references, rng)
        sizes["gap_pc"] = m
        kk = np.arange(1, gap.size + 1)
        gap_s = pd.Series(gap, index=kk)
        se_s = pd.Series(se, index=kk)
        table["gap_pc"] = gap_s.reindex(ks).to_numpy()
        table["gap_se"] = se_s.reindex(ks).to_numpy()
        table.attrs["gap_next"] = (float(gap_s.get(k_max + 1, np.nan)),
                                   float(se_s.get(k_max + 1, np.nan)))

    admissible, removed = _constraints(table, min_segment_share, min_segment_value)
    table["admissible"] = admissible
    allowed = ks[admissible.to_numpy()]
    if allowed.size == 0:
        raise InvalidParameterError(
            f"No k in k_range=({k_min}, {k_max}) meets the business constraints "
            f"(min_segment_share={min_segment_share}, min_segment_value={min_segment_value})"
            f"; {len(removed)} k removed. Lower the minimum or widen k_range."
        )
    picks = pd.Series(
        {name: _pick(name, table[name], _eligible(name, allowed), _gap_table(table))
         for name in names},
        name="k", dtype="int64",
    )
    picks.index.name = "criterion"
    if rule == "default":
        chosen, reason = _default_rule(picks, allowed, table)
    else:
        chosen, reason = int(picks[rule]), f"rule={rule!r}: {CUT_CRITERIA[rule]}"
    if len(removed):
        reason += f" ({len(removed)} k removed by business constraints)"
    return CutResult(k=int(chosen), reason=reason, table=table, picks=picks, removed=removed,
                     sample_sizes=sizes, rule=rule)


def _gap_table(table: pd.DataFrame) -> pd.DataFrame:
    """Return the gap columns extended by k_max + 1 (the 1-SE rule reads one k beyond)."""
    gap = table[["gap_pc", "gap_se"]].copy()
    nxt = table.attrs.get("gap_next")
    if nxt is not None:
        gap.loc[int(table.index.max()) + 1] = nxt
    return gap


def _eligible(name: str, allowed: np.ndarray) -> np.ndarray:
    """Ks a criterion can pick: k = 1 only for those defined there."""
    if name in ("gap_pc", "hartigan", "mojena"):
        return allowed
    ok = allowed[allowed >= 2]
    return ok if ok.size else allowed


def _check_value(value: Any, min_segment_value: float | None, n: int) -> np.ndarray | None:
    if min_segment_value is None:
        return None
    check_scalar("min_segment_value", min_segment_value, kind=float, low=0.0, high=1.0,
                 low_inclusive=False)
    if value is None:
        raise InvalidParameterError(
            "Parameter 'min_segment_value' needs 'value' (the value of each row, e.g. its "
            "revenue). Pass value=..."
        )
    arr = check_length(value, param="value", n_expected=n).astype(float)
    bad = ~np.isfinite(arr) | (arr < 0)
    if bad.any():
        raise InvalidDataError(
            f"Parameter 'value' has {int(bad.sum())} value(s) that are negative, NaN or inf "
            f"(first at row {int(np.flatnonzero(bad)[0])}). Value shares need non-negative "
            f"finite values."
        )
    if arr.sum() <= 0:
        raise InvalidDataError("Parameter 'value' sums to 0; value shares are undefined.")
    return arr


def _constraints(
    table: pd.DataFrame, min_share: float | None, min_value: float | None
) -> tuple[pd.Series, pd.DataFrame]:
    rows = []
    ok = pd.Series(True, index=table.index)
    for k in table.index:
        if k < 2:
            continue
        if min_share is not None and table.loc[k, "min_share"] < min_share:
            ok[k] = False
            rows.append((k, "min_segment_share",
                         f"smallest segment holds {table.loc[k, 'min_share']:.2%} of rows "
                         f"< {min_share:.2%}"))
        if min_value is not None and table.loc[k, "min_value_share"] < min_value:
            ok[k] = False
            rows.append((k, "min_segment_value",
                         f"smallest segment brings {table.loc[k, 'min_value_share']:.2%} of "
                         f"value < {min_value:.2%}"))
    return ok, pd.DataFrame(rows, columns=["k", "constraint", "detail"])


# --------------------------------------------------------------------------------------
# The default rule
# --------------------------------------------------------------------------------------

#: Criteria the default rule reads.
_DEFAULT_RULE_NEEDS = ("gap_pc", "calinski_harabasz", "gain_ratio", "krzanowski_lai",
                       "silhouette", "davies_bouldin")
_VOTERS = ("calinski_harabasz", "gain_ratio", "krzanowski_lai", "silhouette",
           "davies_bouldin")
#: Best silhouette below which there is no structure whatever the gap says. Kaufman &
#: Rousseeuw read <= 0.25 as "no substantial structure"; the best of several k is biased
#: upwards on noise (up to 0.26 on Gaussian noise in the study), hence a little more.
SILHOUETTE_NONE = 0.30
#: Best silhouette from which structure is "reasonable" (Kaufman & Rousseeuw) whatever the
#: gap says: the gap's 1-SE rule can stop at k = 1 on many small groups in few dimensions.
SILHOUETTE_REASONABLE = 0.50
#: The gap's k overrides a vote for fewer segments only when its gap is higher by at least
#: this many of its standard errors (study: 6 to 13 when the gap was right, below 3 when
#: it split a wide segment).
GAP_OVERRIDE_SE = 4.0


def _default_rule(picks: pd.Series, allowed: np.ndarray, table: pd.DataFrame) -> tuple[int, str]:
    """Decide whether there is structure, then combine the gap with a vote of five criteria.

    1. With k = 1 allowed: no structure when the best silhouette is below 0.30, or when
       gap/pc picks 1 and the best silhouette is below 0.50.
    2. The vote: the k picked most often by Calinski–Harabasz, gain ratio,
       Krzanowski–Lai, silhouette and Davies–Bouldin (ties go to the larger gap).
    3. The gap's pick, unless the vote's k is larger and its gap is at least as high (the
       1-SE rule stops early on nested structure), or the vote's k is smaller and the
       gap's k gains less than 4 standard errors over it (the gap splits wide segments),
       or the gap picks 1 (then the vote).

    The study behind it is in ``docs/user_guide/cut.md``.
    """
    sil = table["silhouette"]
    sil_max = float(sil.max()) if sil.notna().any() else float("nan")
    gap = table["gap_pc"]
    k_gap = int(picks["gap_pc"])
    if 1 in allowed:
        if not sil_max >= SILHOUETTE_NONE:
            return 1, (f"no structure: the best silhouette ({sil_max:.2f}) is below "
                       f"{SILHOUETTE_NONE}")
        if k_gap == 1 and sil_max < SILHOUETTE_REASONABLE:
            return 1, (f"no structure: the gap statistic picks k = 1 and the best silhouette "
                       f"({sil_max:.2f}) is below {SILHOUETTE_REASONABLE}")
    votes = picks[list(_VOTERS)]
    votes = votes[votes >= 2]
    counts = votes.value_counts()
    top = counts.index[counts == counts.max()]
    k_vote = int(max(top, key=lambda k: gap.get(k, -np.inf)))
    agree = ", ".join(sorted(votes.index[votes == k_vote]))
    vote_text = f"{counts[k_vote]} of {len(votes)} criteria pick k = {k_vote} ({agree})"
    if k_gap < 2:
        return k_vote, f"{vote_text}; the gap statistic alone saw no structure"
    if k_vote > k_gap and gap[k_vote] >= gap[k_gap]:
        return k_vote, (f"{vote_text}, and the gap statistic is at least as high there as at "
                        f"its own pick k = {k_gap}")
    if k_vote == k_gap:
        return k_gap, f"the gap statistic (1-SE rule) and {vote_text}"
    margin = (gap[k_gap] - gap[k_vote]) / table["gap_se"][k_gap]
    if k_vote < k_gap and not margin >= GAP_OVERRIDE_SE:
        return k_vote, (f"{vote_text}; the gap statistic's k = {k_gap} gains only "
                        f"{margin:.1f} standard errors over it (< {GAP_OVERRIDE_SE:g})")
    return k_gap, (f"the gap statistic (1-SE rule) picks k = {k_gap}, {margin:.1f} standard "
                   f"errors above the vote's k; {vote_text}")
