"""RFM scores: :class:`RFMScorer` learns bin edges on one snapshot and scores the next."""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from clientseg._core.backends import (
    collect_pandas,
    emit,
    kind_of,
    to_narwhals,
)
from clientseg._core.validation import (
    check_columns,
    check_estimator_input,
    check_options,
    check_scalar,
)
from clientseg.exceptions import (
    InvalidDataError,
    InvalidParameterError,
    TiedValuesWarning,
)
from clientseg.rfm._maps import BUILTIN_MAPS, SegmentMap, fm_score

__all__ = ["RFMScorer"]

from clientseg.rfm._table import _NATIVE_KINDS, _ROLES, SCORE_COLUMNS


def _bins(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Bin number ``1 + #{edges < value}``: identical values always share a bin."""
    if len(edges) > 16:
        return 1 + np.searchsorted(edges, values, side="left")
    out = np.ones(values.shape, dtype=np.int64)
    for edge in edges:  # a few comparisons beat a binary search per value
        out += values > edge
    return out


def _resolve_map(segment_map: Any, n_bins: int) -> SegmentMap | None:
    if segment_map is None:
        return None
    if isinstance(segment_map, str):
        smap = SegmentMap.from_name(segment_map)  # an unknown name raises, listing the maps
    elif isinstance(segment_map, SegmentMap):
        smap = segment_map
    else:
        raise InvalidParameterError(
            f"Parameter 'segment_map' must be None, a built-in name among "
            f"{sorted(BUILTIN_MAPS)} or a SegmentMap; got {type(segment_map).__name__}."
        )
    if smap.n_bins != n_bins:
        raise InvalidParameterError(
            f"Parameter 'segment_map' ({smap.name!r}) is written for n_bins={smap.n_bins} "
            f"but n_bins={n_bins}. Pass segment_map=None, or a SegmentMap(..., "
            f"n_bins={n_bins})."
        )
    return smap


class RFMScorer(TransformerMixin, BaseEstimator):
    """Score recency, frequency and monetary value on 1..n_bins with edges learnt once.

    ``fit`` learns bin edges per variable on one snapshot; ``transform`` scores any table
    with those edges, so a customer's scores in two snapshots are comparable.

    Parameters
    ----------
    n_bins : int, default 5
        Number of scores per variable (2 to 99).
    method : {"quantile", "thresholds"}, default "quantile"
        ``"quantile"``: the inner edges are the ``k / n_bins`` quantiles of the fitted
        table (numpy's linear interpolation). ``"thresholds"``: the edges are
        ``thresholds``.
    thresholds : mapping, optional
        With ``method="thresholds"``: ``{"recency": [...], "frequency": [...], "monetary":
        [...]}``, each ``n_bins - 1`` non-decreasing finite numbers (business cut-offs, or
        ``bin_edges_`` of another scorer).
    segment_map : str, SegmentMap or None, default "rf_grid"
        Names the cells: ``"rf_grid"`` (10 names on R×F), ``"r_fm"`` (11 names on R×FM),
        a :class:`SegmentMap`, or None for no ``segment`` column.
    columns : tuple of 3 str, default ("recency_days", "frequency", "monetary")
        The recency, frequency and monetary columns of a customer table.

    Attributes
    ----------
    n_bins_ : int
        The number of bins the edges were learnt for (``n_bins`` at fit time).
    columns_ : tuple of str
        The recency, frequency and monetary columns read (``columns`` at fit time).
    bin_edges_ : dict of str to ndarray
        Inner edges per variable (keys ``"recency"``, ``"frequency"``, ``"monetary"``).
        A value ``x`` gets bin ``1 + #{edges < x}`` (bins are closed on the right);
        recency is reversed (``r_score = n_bins + 1 - bin``: 5 = most recent).
    segment_map_ : SegmentMap or None
        The map used to name cells.
    table_input_ : bool
        True when fitted on a customer table (a DataFrame with ``columns``).
    n_features_in_ : int
        Always 3.
    feature_names_in_ : ndarray of str
        Names of the 3 columns seen in fit, when X was a DataFrame.

    Notes
    -----
    **Ties.** The score of a value depends on the value only, never on row order: identical
    customers share a score. With heavy ties several quantile edges coincide (on Online
    Retail, 34% of customers have one invoice, so the 20% quantile of frequency is 1) and
    some scores stay unused; ``fit`` then warns with :class:`TiedValuesWarning` naming the
    column and the edges. Scores keep their quantile meaning (a 5 is above the 80%
    quantile) instead of being renumbered.

    **Input.** ``X`` is a customer table (the output of :func:`rfm_table`, extra columns
    ignored), in which case ``transform`` returns a DataFrame with :data:`SCORE_COLUMNS`
    on the same index; or any 3-column numeric array (recency, frequency, monetary, in
    that order), in which case ``transform`` returns an int array with the numeric scores
    ``r_score, f_score, m_score, rfm_score, fm_score``. ``rfm_score = r + f + m`` and
    ``fm_score = (f + m + 1) // 2`` (the mean of F and M rounded half up).

    Examples
    --------
    >>> import pandas as pd
    >>> from clientseg.rfm import RFMScorer
    >>> table = pd.DataFrame({"recency_days": [3, 40, 200, 10, 90],
    ...                       "frequency": [12, 3, 1, 6, 2],
    ...                       "monetary": [900.0, 120.0, 15.0, 400.0, 30.0]},
    ...                      index=pd.Index([11, 12, 13, 14, 15], name="customer_id"))
    >>> scorer = RFMScorer(n_bins=5).fit(table)
    >>> scorer.transform(table)[["r_score", "f_score", "m_score", "rfm_cell", "segment"]]
    ... # doctest: +NORMALIZE_WHITESPACE
                 r_score  f_score  m_score rfm_cell          segment
    customer_id
    11                 5        5        5      555        Champions
    12                 3        3        3      333   Need Attention
    13                 1        1        1      111      Hibernating
    14                 4        4        4      444  Loyal Customers
    15                 2        2        2      222      Hibernating
    """

    def __init__(
        self,
        n_bins: int = 5,
        *,
        method: str = "quantile",
        thresholds: Mapping[str, Sequence[float]] | None = None,
        segment_map: str | SegmentMap | None = "rf_grid",
        columns: tuple[str, str, str] = ("recency_days", "frequency", "monetary"),
    ) -> None:
        self.n_bins = n_bins
        self.method = method
        self.thresholds = thresholds
        self.segment_map = segment_map
        self.columns = columns

    # ------------------------------------------------------------------ input
    def _is_table(self, X: Any) -> bool:
        if not isinstance(X, pd.DataFrame):
            return False
        cols = self.columns_
        present = [c in X.columns for c in cols]
        if any(present) and not all(present):
            # a table naming some of the columns: a misspelt name must not score by position
            check_columns(X, {f"columns[{i}]": c for i, c in enumerate(cols)}, frame_param="X")
        return all(present)

    def _matrix(self, X: Any, *, reset: bool) -> tuple[np.ndarray, bool]:
        table = self._is_table(X)
        data = X[list(self.columns_)] if table else X
        check_estimator_input(data, param="X")
        arr = validate_data(self, data, reset=reset, dtype=np.float64)
        if arr.shape[1] != 3:
            raise InvalidDataError(
                f"X has {arr.shape[1]} feature(s); RFMScorer needs exactly 3: recency, "
                f"frequency and monetary, in that order, or a customer table with the "
                f"columns {list(self.columns_)} (parameter 'columns')."
            )
        return arr, table

    def _check_params(self) -> tuple[int, SegmentMap | None]:
        cols = self.columns
        if not (isinstance(cols, tuple | list) and len(cols) == 3):
            raise InvalidParameterError(
                f"Parameter 'columns' must be 3 column names (recency, frequency, monetary); "
                f"got {cols!r}."
            )
        n_bins = check_scalar("n_bins", self.n_bins, kind=int, low=2, high=99)
        check_options("method", self.method, ("quantile", "thresholds"))
        if self.method == "quantile" and self.thresholds is not None:
            raise InvalidParameterError(
                "Parameter 'thresholds' is only used with method='thresholds'; got "
                "method='quantile'. Pass method='thresholds' or drop thresholds."
            )
        return int(n_bins), _resolve_map(self.segment_map, int(n_bins))

    def _threshold_edges(self, n_bins: int) -> dict[str, np.ndarray]:
        th = self.thresholds
        if not isinstance(th, Mapping):
            raise InvalidParameterError(
                f"Parameter 'thresholds' must be a mapping {{'recency': [...], 'frequency': "
                f"[...], 'monetary': [...]}} with method='thresholds'; got {th!r}."
            )
        missing = [r for r in _ROLES if r not in th]
        extra = [k for k in th if k not in _ROLES]
        if missing or extra:
            raise InvalidParameterError(
                f"Parameter 'thresholds' needs exactly the keys {list(_ROLES)}; missing "
                f"{missing}, unexpected {extra}."
            )
        edges = {}
        for role in _ROLES:
            arr = np.asarray(th[role], dtype=float).ravel()
            if arr.size != n_bins - 1:
                raise InvalidParameterError(
                    f"Parameter 'thresholds' ({role!r}) has {arr.size} edges; n_bins={n_bins} "
                    f"needs {n_bins - 1} inner edges (scores are 1 + the number of edges "
                    f"below the value)."
                )
            if not np.isfinite(arr).all():
                raise InvalidParameterError(
                    f"Parameter 'thresholds' ({role!r}) has non-finite edges: {arr.tolist()}."
                )
            if np.any(np.diff(arr) < 0):
                raise InvalidParameterError(
                    f"Parameter 'thresholds' ({role!r}) must be non-decreasing; got "
                    f"{arr.tolist()}. Sort them."
                )
            edges[role] = arr
        return edges

    # ------------------------------------------------------------------ sklearn API
    def fit(self, X: Any, y: Any = None) -> RFMScorer:
        """Learn the bin edges of recency, frequency and monetary on ``X``.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_customers, 3)
            A customer table with ``columns``, or recency, frequency, monetary columns.
        y : None
            Ignored.

        Returns
        -------
        RFMScorer
            The fitted scorer.

        Warns
        -----
        TiedValuesWarning
            When a variable gets fewer distinct scores than ``n_bins`` on ``X`` under
            ``method="quantile"``, naming the column and its edges.
        """
        n_bins, smap = self._check_params()
        # what transform reads is fitted state: set_params without a refit changes nothing
        self.n_bins_ = n_bins
        self.columns_ = tuple(self.columns)
        engine = self._engine_frame(X)
        if engine is not None:  # one row per customer: the three columns come to pandas
            X = collect_pandas(engine[1].select(*list(self.columns_)))
        arr, table = self._matrix(X, reset=True)
        if self.method == "thresholds":
            edges = self._threshold_edges(n_bins)
        else:
            probs = np.arange(1, n_bins) / n_bins
            edges = {role: np.quantile(arr[:, j], probs) for j, role in enumerate(_ROLES)}
            names = list(self.columns_) if table else [
                str(n) for n in getattr(self, "feature_names_in_", _ROLES)]
            for j, role in enumerate(_ROLES):
                counts = np.bincount(_bins(arr[:, j], edges[role]), minlength=n_bins + 1)
                used = np.flatnonzero(counts[1:]) + 1
                if used.size < n_bins:
                    unused = sorted(set(range(1, n_bins + 1)) - set(used.tolist()))
                    if role == "recency":
                        unused = sorted(n_bins + 1 - u for u in unused)
                    warnings.warn(
                        f"Column {names[j]!r} ({role}) gets {used.size} distinct scores out "
                        f"of n_bins={n_bins} (scores {unused} unused): tied values share a "
                        f"score, and the quantile edges {np.round(edges[role], 6).tolist()} "
                        f"leave some bins empty. Lower n_bins or pass method='thresholds' "
                        f"to choose the edges.",
                        TiedValuesWarning,
                        stacklevel=2,
                    )
        self.bin_edges_ = edges
        self.segment_map_ = smap
        self.table_input_ = table
        return self

    def _score_arrays(self, arr: np.ndarray) -> dict[str, np.ndarray]:
        n = self.n_bins_
        r = n + 1 - _bins(arr[:, 0], self.bin_edges_["recency"])
        f = _bins(arr[:, 1], self.bin_edges_["frequency"])
        m = _bins(arr[:, 2], self.bin_edges_["monetary"])
        return {"r": r.astype(np.int64), "f": f.astype(np.int64), "m": m.astype(np.int64)}

    def transform(self, X: Any) -> Any:
        """Score ``X`` with the fitted edges.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_customers, 3)
            A customer table with ``columns`` (extra columns ignored), or recency,
            frequency, monetary columns.

        Returns
        -------
        DataFrame, ndarray or the input's kind
            For a customer table: a DataFrame on the same index with ``r_score``,
            ``f_score``, ``m_score``, ``rfm_cell`` (e.g. ``"545"``, categorical over every
            cell; digits joined by "-" when n_bins > 9), ``rfm_score``, ``fm_score`` and
            ``segment`` (categorical; absent when ``segment_map`` is None). Otherwise an
            int array with columns ``r_score, f_score, m_score, rfm_score, fm_score``.

            Another engine's table (Polars DataFrame or LazyFrame, DuckDB relation,
            PyArrow Table, Dask DataFrame, e.g. what :func:`rfm_table` returns for one)
            is scored in its engine with narwhals expressions and the result has its kind;
            lazy inputs stay lazy. ``rfm_cell`` and ``segment`` are then strings. Rows
            align as the kind aligns them: by position (Polars DataFrame, PyArrow), by
            index (Dask), and a LazyFrame or DuckDB relation, which have neither, keep
            their own columns with the scores appended. Missing values are refused on
            eager frames; on lazy ones they give null scores (nothing is computed in the
            call).
        """
        check_is_fitted(self, "bin_edges_")
        engine = self._engine_frame(X)
        if engine is not None:
            kind, frame = engine
            if kind in _NATIVE_KINDS:
                return self._transform_frame(frame, kind)
            X = collect_pandas(frame)  # another narwhals kind: scored as pandas
        arr, table = self._matrix(X, reset=False)
        s = self._score_arrays(arr)
        total = s["r"] + s["f"] + s["m"]
        fm = fm_score(s["f"], s["m"])
        if not table:
            return np.column_stack([s["r"], s["f"], s["m"], total, fm])
        out = pd.DataFrame(
            {
                "r_score": s["r"],
                "f_score": s["f"],
                "m_score": s["m"],
                "rfm_cell": _cells(s, self.n_bins_),
                "rfm_score": total,
                "fm_score": fm,
            },
            index=X.index,
        )
        if self.segment_map_ is not None:
            out["segment"] = self.segment_map_.assign({**s, "fm": fm})
        return out

    def _engine_frame(self, X: Any) -> tuple[str, Any] | None:
        """(kind, narwhals frame) for another engine's customer table; None for pandas."""
        if isinstance(X, pd.DataFrame):
            return None
        kind = kind_of(X)
        if kind is None:
            return None
        frame = to_narwhals(X)
        schema = frame.collect_schema()
        names = schema.names()
        missing = [c for c in self.columns_ if c not in names]
        if missing:
            raise InvalidDataError(
                f"X ({type(X).__name__}) lacks {len(missing)} of the columns named by "
                f"parameter 'columns': {missing}; columns present: {names}. Pass the table "
                f"rfm_table returned, or name the recency, frequency and monetary columns "
                f"with columns=(...)."
            )
        for col in self.columns_:
            if not schema[col].is_numeric():
                raise InvalidDataError(
                    f"Column {col!r} (columns) of X must be numeric; it has dtype "
                    f"{schema[col]}. Cast it to a number first."
                )
        return kind, frame

    def _transform_frame(self, frame: Any, kind: str) -> Any:
        """Score another engine's table with narwhals expressions (lazy stays lazy)."""
        import narwhals.stable.v2 as nw

        n = self.n_bins_
        if kind in ("polars", "pyarrow"):  # eager: refuse missing values as pandas does
            flags = [(nw.col(c).is_null() | nw.col(c).cast(nw.Float64).is_nan())
                     .cast(nw.Int64).sum().alias(c) for c in self.columns_]
            counts = frame.select(*flags).to_pandas().iloc[0]
            for c in self.columns_:
                if int(counts[c]):
                    raise InvalidDataError(
                        f"Column {c!r} (columns) of X has {int(counts[c]):,} missing "
                        f"value(s); RFM scores need all three values. Drop or fill those "
                        f"customers first."
                    )

        def bins(col: str, edges: np.ndarray) -> Any:  # 1 + #{edges < value}, as _bins
            out: Any = nw.lit(1, dtype=nw.Int64)
            for edge in edges:
                out = out + (nw.col(col).cast(nw.Float64) > float(edge)).cast(nw.Int64)
            return out

        tmp = {a: f"__clientseg_{a}_score" for a in ("r", "f", "m")}
        rec, freq, mon = self.columns_
        staged = frame.with_columns(
            ((n + 1) - bins(rec, self.bin_edges_["recency"])).alias(tmp["r"]),
            bins(freq, self.bin_edges_["frequency"]).alias(tmp["f"]),
            bins(mon, self.bin_edges_["monetary"]).alias(tmp["m"]),
        )
        r, f, m = (nw.col(tmp[a]) for a in ("r", "f", "m"))
        fm = (f + m + 1) // 2
        outputs: dict[str, Any] = {
            "r_score": r,
            "f_score": f,
            "m_score": m,
            "rfm_cell": nw.concat_str([r.cast(nw.String), f.cast(nw.String),
                                       m.cast(nw.String)], separator="" if n <= 9 else "-"),
            "rfm_score": r + f + m,
            "fm_score": fm,
        }
        smap = self.segment_map_
        if smap is not None:
            # name every cell of the map's grid once with SegmentMap.assign, then look the
            # customers' cells up with one is_in per segment name
            base = smap._base_axes()
            grid = np.array(list(itertools.product(range(1, n + 1), repeat=len(base))),
                            dtype=np.int64).reshape(-1, len(base))
            names = np.asarray(smap.assign({a: grid[:, j] for j, a in enumerate(base)}),
                               dtype=object)
            axis = {"r": r, "f": f, "m": m, "fm": fm}
            cell: Any = nw.lit(0, dtype=nw.Int64)
            for a in base:
                cell = cell * n + (axis[a] - 1)
            segment: Any = None
            for name in dict.fromkeys(names.tolist()):
                cells = np.flatnonzero(names == name).tolist()
                cond = cell.is_in(cells)
                segment = (nw.when(cond) if segment is None else segment.when(cond)).then(
                    nw.lit(str(name)))
            outputs["segment"] = segment.otherwise(nw.lit(None, dtype=nw.String))
        return emit(staged, kind, outputs, carry=frame.collect_schema().names())

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the output columns of :meth:`transform` for the input seen in fit.

        Parameters
        ----------
        input_features : None
            Ignored (the output names do not depend on the input names).

        Returns
        -------
        ndarray of str
        """
        check_is_fitted(self, "bin_edges_")
        if not self.table_input_:
            return np.asarray(["r_score", "f_score", "m_score", "rfm_score", "fm_score"],
                              dtype=object)
        names = [c for c in SCORE_COLUMNS if c != "segment" or self.segment_map_ is not None]
        return np.asarray(names, dtype=object)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        if tags.transformer_tags is not None:
            tags.transformer_tags.preserves_dtype = []  # scores are integers, whatever X is
        return tags


def _cells(s: Mapping[str, np.ndarray], n_bins: int) -> pd.Categorical:
    """Cell labels such as "545" as a categorical over every cell (codes, no strings built)."""
    sep = "" if n_bins <= 9 else "-"
    grid = range(1, n_bins + 1)
    labels = [f"{a}{sep}{b}{sep}{c}" for a in grid for b in grid for c in grid]  # n^3 cells
    code = ((s["r"] - 1) * n_bins + (s["f"] - 1)) * n_bins + (s["m"] - 1)
    return pd.Categorical.from_codes(code, categories=labels)
