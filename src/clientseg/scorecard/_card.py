"""The logistic scorecard estimator (private home of :mod:`clientseg.scorecard`)."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.metrics import roc_auc_score
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from clientseg._core.backends import kind_of, native_pandas
from clientseg._core.validation import (
    _fmt_list,
    check_binary_target,
    check_columns,
    check_criteria_values,
    check_frame,
    check_options,
    check_scalar,
)
from clientseg.exceptions import (
    DataQualityWarning,
    InvalidDataError,
    InvalidParameterError,
)
from clientseg.scorecard import _export as _export
from clientseg.scorecard import _tables as _tab
from clientseg.scorecard._banding import (
    Criterion,
    learn_categorical,
    learn_numeric,
)
from clientseg.scorecard._fit import Design, fit_logistic
from clientseg.scorecard._outputs import CardOutputs
from clientseg.scorecard._points import compute_points, grade_cutoffs, grade_index
from clientseg.scorecard._report import ScorecardReport, ScoreDrift, psi

__all__ = ["LogisticScorecard", "ScoreDrift", "ScorecardReport", "psi"]


class LogisticScorecard(CardOutputs, ClassifierMixin, BaseEstimator):
    """A points-on-100 scorecard learned by logistic regression on banded criteria.

    Numeric criteria are cut into bands, categorical ones keep their levels (rare levels
    pooled); every level is dummy-coded against a reference level and a maximum-likelihood
    logistic regression gives its coefficient, standard error and confidence interval.
    Coefficients become points: per criterion, the worst level gets 0 and the best the
    criterion's share of the 100 points, so the worst possible contact scores 0 and the
    best 100. Scores map back to conversion probabilities and to grades A/B/C.

    Parameters
    ----------
    binning : {"quantile", "monotone", "auto"}, default "quantile"
        How numeric criteria are banded: ``n_bins`` quantile bands (ties kept together);
        supervised bands whose conversion rate is monotone (pool adjacent violators from
        20 quantile bands, then merge the closest neighbours down to ``n_bins``); or
        ``"auto"``: monotone bands where a likelihood-ratio test does not reject a
        monotone conversion rate (at 5%), quantile bands elsewhere.
    n_bins : int, default 5
        Largest number of bands per numeric criterion (missing values add one level).
    edges : dict of str to sequence of float, optional
        Band edges chosen by you for some numeric criteria (right-open ``[a, b)`` bands);
        they override ``binning`` for those criteria and are never merged.
    categorical : sequence of str, optional
        Numeric columns to treat as categorical (each distinct value a level).
    min_share : float, default 0.01
        Smallest share of the contacts a level may hold. Rarer categorical levels are pooled
        into ``"(other)"`` (which joins the most frequent level if still rare); smaller
        numeric bands merge with a neighbour; rarer missing values join the most frequent
        level. A 3-contact level with no conversion would otherwise take most of the points.
    reference : "most_frequent" or dict, default "most_frequent"
        Reference level of each criterion (its coefficient is 0, and the "negative points"
        view measures everything from it: it is the typical contact). A dict maps criteria
        to a level label (e.g. ``{"age": "[30, 40)"}``); others use the most frequent level.
    handle_unseen : {"other", "reference", "lowest", "error"}, default "other"
        Scoring a value not met at fit time (a new category, or a missing value when none
        was missing at fit time): ``"other"`` gives it the ``"(other)"`` level when the
        criterion has one, else the reference level; ``"reference"`` the reference level
        (the typical contact); ``"lowest"`` the criterion's lowest points (conservative);
        ``"error"`` raises. Unseen values are counted: a :class:`DataQualityWarning` gives
        the count per criterion, and :meth:`unseen_counts` returns them.
    ridge : float, default 0.0
        L2 penalty ``ridge / 2 * sum(beta**2)`` on the level coefficients (not the
        intercept). 0 gives maximum likelihood; standard errors then match statsmodels.
    population_rate : float, optional
        Conversion rate in the whole population when the contacts were sampled on the
        outcome (case-control, e.g. all converted and 10% of the others). King & Zeng's
        prior correction shifts the intercept by ``-ln((1 - tau) / tau * ybar / (1 - ybar))``;
        points and ranking are unchanged, probabilities become population rates.
    scaling : {"range", "pdo"}, default "range"
        ``"range"``: worst profile 0, best 100. ``"pdo"``: credit-style scaling where
        ``base_score`` points mean odds of ``base_odds`` to 1 and every ``pdo`` points double
        the odds (totals are not bounded by 100).
    pdo, base_score, base_odds : float, default 20, 600, 50
        The PDO scaling's points to double the odds, anchor score and odds at the anchor.
    round_points : bool, default True
        Integer points. With ``"range"`` scaling, criterion maxima are rounded by largest
        remainder so the maximum total is exactly 100 and the minimum exactly 0.
    grade_by : {"quantile", "score", "rate"}, default "quantile"
        How grade thresholds are set: shares of contacts from the top, fixed scores, or
        target conversion rates (each grade converts at least at its rate on the
        training contacts).
    grade_cutoffs : sequence of float, optional
        One value per threshold (``len(grade_labels) - 1``), best grade first. Defaults:
        ``(0.2, 0.5)`` cumulative shares, ``(70, 40)`` scores, or twice and once the base
        conversion rate.
    grade_labels : sequence of str, default ("A", "B", "C")
        Grade names, best first.
    max_iter : int, default 100
        Largest number of Newton steps.
    tol : float, default 1e-8
        Convergence: largest coefficient change below ``tol * (1 + max |beta|)``.

    Attributes
    ----------
    criteria_ : list of str
        The criteria, in column order.
    classes_ : ndarray
        ``[0, 1]``: 1 is "converted".
    coef_table_ : DataFrame
        One row per level (and the intercept): coefficient, standard error, z, p-value,
        95% confidence interval, contacts, conversion rate, and whether it is the reference.
    intercept_ : float
        The intercept (after the prior correction when ``population_rate`` is given).
    points_ : DataFrame
        The scorecard: criterion, level, points, points_vs_typical, coef, contacts, share,
        conversion_rate, woe, reference.
    weights_ : Series
        Criterion -> share of the 100 points (%), the criterion's points range.
    base_points_ : float
        Points every contact starts from (0 with ``"range"`` scaling).
    typical_points_ : float
        Base points of the "negative points" view: the typical contact's score (every
        criterion at its reference level).
    information_value_ : Series
        Information value of each criterion's levels on the training contacts.
    bands_ : DataFrame
        How every criterion was cut: level, kind, method, the raw values or band bounds.
    grade_cutoffs_ : ndarray
        Score thresholds, best grade first: a contact gets the first grade whose threshold
        its score reaches (for decreasing thresholds, grade k: ``t[k] <= score < t[k-1]``;
        ``inf`` leaves a grade empty). Python, the engines and :meth:`to_sql` all grade so.
    grade_table_ : DataFrame
        Grades on the training contacts: size, share, conversion rate, lift, capture.
    rounding_auc_loss_ : float
        Training AUC of the exact log-odds minus that of the (rounded) score.
    prior_correction_ : float
        The King & Zeng shift added to the intercept (0 without ``population_rate``).
    n_iter_ : int
        Newton steps taken.
    converged_ : bool
        Whether the fit met its convergence criterion.
    separated_ : bool
        Whether the fit stopped on (quasi-)separation: the likelihood kept rising while
        some cells' fitted probabilities went to 0 or 1 (a :class:`SeparationWarning`
        names their levels).
    aliased_ : list of str
        Criteria with levels that are exact combinations of others' (read off the
        unweighted design, so a separated fit never lands here); empty for most fits.
    loglik_ : float
        Maximised (penalised, with ``ridge``) log-likelihood.
    n_features_in_, feature_names_in_
        As in scikit-learn (names only when X is a DataFrame with string column names).

    See Also
    --------
    ScorecardReport : what :meth:`evaluate` returns.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import clientseg as cs
    >>> rng = np.random.default_rng(0)
    >>> n = 4_000
    >>> X = pd.DataFrame({
    ...     "visits": rng.poisson(3, n),
    ...     "origin": rng.choice(["web", "fair", "ad"], n),
    ... })
    >>> logit = -2 + 0.4 * X["visits"] + (X["origin"] == "fair") * 1.0
    >>> y = rng.random(n) < 1 / (1 + np.exp(-logit))
    >>> card = cs.LogisticScorecard(n_bins=4).fit(X, y)
    >>> int(card.points(X).min()), int(card.points(X).max()) <= 100
    (0, True)
    >>> round(float(card.weights_.sum()), 6)
    100.0
    >>> sorted(card.points_.columns)[:3]
    ['coef', 'contacts', 'conversion_rate']
    """

    def __init__(
        self,
        *,
        binning: str = "quantile",
        n_bins: int = 5,
        edges: Mapping[str, Sequence[float]] | None = None,
        categorical: Sequence[str] | None = None,
        min_share: float = 0.01,
        reference: str | Mapping[str, Any] = "most_frequent",
        handle_unseen: str = "other",
        ridge: float = 0.0,
        population_rate: float | None = None,
        scaling: str = "range",
        pdo: float = 20.0,
        base_score: float = 600.0,
        base_odds: float = 50.0,
        round_points: bool = True,
        grade_by: str = "quantile",
        grade_cutoffs: Sequence[float] | None = None,
        grade_labels: Sequence[str] = ("A", "B", "C"),
        max_iter: int = 100,
        tol: float = 1e-8,
    ) -> None:
        self.binning = binning
        self.n_bins = n_bins
        self.edges = edges
        self.categorical = categorical
        self.min_share = min_share
        self.reference = reference
        self.handle_unseen = handle_unseen
        self.ridge = ridge
        self.population_rate = population_rate
        self.scaling = scaling
        self.pdo = pdo
        self.base_score = base_score
        self.base_odds = base_odds
        self.round_points = round_points
        self.grade_by = grade_by
        self.grade_cutoffs = grade_cutoffs
        self.grade_labels = grade_labels
        self.max_iter = max_iter
        self.tol = tol

    # ------------------------------------------------------------------ sklearn plumbing

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        tags.classifier_tags.multi_class = False
        return tags

    def _check_params(self) -> None:
        check_options("binning", self.binning, ["quantile", "monotone", "auto"])
        check_scalar("n_bins", self.n_bins, kind=int, low=1)
        check_scalar("min_share", self.min_share, kind=float, low=0.0, high=0.5)
        check_options("handle_unseen", self.handle_unseen,
                      ["other", "reference", "lowest", "error"])
        check_scalar("ridge", self.ridge, kind=float, low=0.0)
        if self.population_rate is not None:
            check_scalar("population_rate", self.population_rate, kind=float, low=0.0,
                         high=1.0, low_inclusive=False, high_inclusive=False)
        check_options("scaling", self.scaling, ["range", "pdo"])
        check_scalar("pdo", self.pdo, kind=float, low=0.0, low_inclusive=False)
        check_scalar("base_score", self.base_score, kind=float)
        check_scalar("base_odds", self.base_odds, kind=float, low=0.0, low_inclusive=False)
        check_options("round_points", self.round_points, [True, False])
        check_options("grade_by", self.grade_by, ["quantile", "score", "rate"])
        check_scalar("max_iter", self.max_iter, kind=int, low=1)
        check_scalar("tol", self.tol, kind=float, low=0.0, low_inclusive=False)
        labels = list(self.grade_labels)
        if len(labels) < 2 or len(set(labels)) != len(labels):
            raise InvalidParameterError(
                f"Parameter 'grade_labels' must hold at least 2 distinct names; got {labels!r}."
            )
        if self.grade_cutoffs is not None:
            cuts = np.asarray(self.grade_cutoffs, dtype=float)
            if cuts.shape != (len(labels) - 1,):
                raise InvalidParameterError(
                    f"Parameter 'grade_cutoffs' must hold {len(labels) - 1} values (one per "
                    f"boundary between the {len(labels)} grade_labels); got {cuts.size}."
                )
            order = cuts[::-1] if self.grade_by == "quantile" else cuts
            if np.any(np.diff(order) >= 0):
                want = "increasing shares" if self.grade_by == "quantile" else "decreasing values"
                raise InvalidParameterError(
                    f"Parameter 'grade_cutoffs' must be strictly {want}, best grade first; "
                    f"got {list(cuts)}."
                )
        elif self.grade_by == "score" and len(labels) != 3:
            raise InvalidParameterError(
                f"Parameter 'grade_cutoffs' is needed with grade_by='score' and "
                f"{len(labels)} grade_labels (the default (70, 40) serves three grades)."
            )
        elif self.grade_by != "score" and len(labels) != 3:
            raise InvalidParameterError(
                f"Parameter 'grade_cutoffs' is needed with {len(labels)} grade_labels (the "
                f"defaults serve three grades)."
            )

    def _frame(self, X: Any, *, reset: bool, strict: bool) -> pd.DataFrame:
        """Validate X; return a DataFrame of the criteria (never the user's object)."""
        if not isinstance(X, pd.DataFrame):  # other engines' frames, computed if lazy
            X = native_pandas(X)
        if isinstance(X, pd.DataFrame):
            check_frame(X, param="X")
            if not reset and not strict:
                cols: list[Any] = self._columns
                present = set(X.columns)
                if all(c in present for c in cols):
                    X = X[cols]
                else:
                    check_columns(X, {f"criteria_[{i}]": c for i, c in enumerate(cols)},
                                  frame_param="X")
            if X.columns.duplicated().any():
                dup = list(X.columns[X.columns.duplicated()])
                raise InvalidDataError(
                    f"X has {len(dup)} duplicated column name(s): {_fmt_list(dup)}. "
                    f"Rename or drop them: each criterion needs one column."
                )
            validate_data(self, X, reset=reset, skip_check_array=True)
            frame = X.copy(deep=False)
        else:
            arr = validate_data(self, X, reset=reset, dtype="numeric",
                                ensure_all_finite="allow-nan")
            frame = pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])])
        if reset:
            self._columns: list[Any] = list(frame.columns)
        frame.columns = [str(c) for c in frame.columns]
        check_criteria_values(frame, list(frame.columns), param="X")
        return frame

    @staticmethod
    def _target(y: Any, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Return (0/1 outcome, the two labels); 1/True (or the larger label) = converted."""
        return check_binary_target(y, n_expected=n, owner="This LogisticScorecard")

    def _outcome(self, y: Any, n: int) -> np.ndarray:
        """Outcome of new contacts as 0/1, read with the labels met at fit time."""
        arr = column_or_1d(y, warn=True)
        if not np.array_equal(self.classes_, [0, 1]) and np.isin(arr, self.classes_).all():
            arr = (arr == self.classes_[1]).astype(np.int8)
        return self._target(arr, n)[0]

    # ------------------------------------------------------------------ fitting

    def fit(self, X: Any, y: Any) -> LogisticScorecard:
        """Band the criteria, fit the logistic regression and build the points table.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_contacts, n_criteria)
            The criteria. Numeric columns are banded; other columns (strings, categoricals,
            booleans) are categorical. Missing values are allowed. Not modified.
        y : array-like of shape (n_contacts,)
            1 (or True) for a converted contact, 0 (or False) otherwise.

        Returns
        -------
        LogisticScorecard
            ``self``, fitted.

        Raises
        ------
        InvalidDataError
            When ``y`` is not 0/1 or has one class only, a criterion is all missing or
            holds inf, or X and y differ in length.
        """
        self._check_params()
        frame = self._frame(X, reset=True, strict=True)
        yy, self.classes_ = self._target(y, len(frame))
        self.criteria_ = list(frame.columns)
        self._criteria, codes = self._learn_bands(frame, yy)
        refs = self._references()
        design = Design.build(codes, [c.n_levels for c in self._criteria], refs)
        zero_cells = _tab.warn_zero_cells(self._criteria, float(self.min_share),
                                          ridge=float(self.ridge))
        res = fit_logistic(design, yy, ridge=float(self.ridge), max_iter=int(self.max_iter),
                           tol=float(self.tol))
        self.n_iter_ = res.n_iter
        self.converged_ = bool(res.converged)
        self.separated_ = bool(res.diverging)
        self.aliased_ = _tab.aliased_criteria(res, self._criteria, design.columns)
        self.loglik_ = res.loglik
        shift = 0.0
        if self.population_rate is not None:
            tau = float(self.population_rate)
            ybar = float(yy.mean())
            shift = -float(np.log((1 - tau) / tau * ybar / (1 - ybar)))
        self.prior_correction_ = shift
        beta = res.beta.copy()
        beta[0] += shift
        self.intercept_ = float(beta[0])
        self._level_coefs = [
            np.where(col >= 0, beta[np.maximum(col, 0)], 0.0) for col in design.columns
        ]
        self._level_se = [
            np.where(col >= 0, np.sqrt(np.maximum(np.diag(res.cov), 0.0))[np.maximum(col, 0)],
                     np.nan)
            for col in design.columns
        ]
        self._refs = refs
        self.coef_table_ = _tab.coef_table(self._criteria, design.columns, beta, res.cov)
        _tab.warn_fit(res, self.coef_table_, self._criteria, design.columns, zero_cells,
                      max_iter=int(self.max_iter), tol=float(self.tol),
                      ridge=float(self.ridge))
        self._build_points()
        scores = self._total(codes)
        self.rounding_auc_loss_ = float(
            roc_auc_score(yy, self._eta_exact(codes)) - roc_auc_score(yy, scores)
        )
        cuts = grade_cutoffs(scores, yy, method=self.grade_by, cuts=self.grade_cutoffs,
                             labels=list(self.grade_labels))
        self.grade_cutoffs_ = np.asarray(cuts, dtype=float)
        self.grade_table_ = self._grade_table(scores, yy)
        return self

    def _learn_bands(self, frame: pd.DataFrame,
                     y: np.ndarray) -> tuple[list[Criterion], list[np.ndarray]]:
        edges = dict(self.edges or {})
        forced = set(self.categorical or ())
        unknown = sorted((set(edges) | forced) - set(frame.columns))
        if unknown:
            raise InvalidParameterError(
                f"Parameters 'edges'/'categorical' name {len(unknown)} column(s) absent from "
                f"X: {_fmt_list(unknown)}. Columns present: {_fmt_list(frame.columns)}."
            )
        out = []
        codes = []
        for name in frame.columns:
            col = frame[name]
            numeric = (pd.api.types.is_numeric_dtype(col)
                       and not pd.api.types.is_bool_dtype(col) and name not in forced)
            if name in edges and not numeric:
                raise InvalidParameterError(
                    f"Parameter 'edges' gives bands for column {name!r}, which is categorical "
                    f"(dtype {col.dtype}). Give edges for numeric columns only."
                )
            if name in edges:
                _check_edges(name, edges[name])
            if numeric:
                crit = learn_numeric(name, col.to_numpy(dtype=float, na_value=np.nan), y,
                                     method=self.binning, n_bins=int(self.n_bins),
                                     min_share=float(self.min_share), edges=edges.get(name))
                codes.append(crit.encode(col)[0])
            else:
                crit, crit_codes = learn_categorical(name, col, y,
                                                     min_share=float(self.min_share))
                codes.append(crit_codes)
            if crit.n_levels < 2:
                warnings.warn(
                    f"Criterion {name!r} (X) is constant: all {len(col):,} contacts fall in one "
                    f"level ({crit.labels[0]!r}), so it gets 0 points. Drop it from X, or lower "
                    f"min_share (now {self.min_share}) if its rare levels were pooled.",
                    DataQualityWarning, stacklevel=3,
                )
            out.append(crit)
        if all(c.n_levels < 2 for c in out):
            raise InvalidDataError(
                f"Every one of the {len(out)} criteria in X is constant; a scorecard needs at "
                f"least one criterion with two levels."
            )
        return out, codes

    def _references(self) -> list[int]:
        given = {} if self.reference == "most_frequent" else self.reference
        if not isinstance(given, Mapping):
            raise InvalidParameterError(
                f"Parameter 'reference' must be 'most_frequent' or a dict criterion -> level; "
                f"got {self.reference!r}."
            )
        refs = []
        for crit in self._criteria:
            if crit.name in given:
                label = str(given[crit.name])
                if label not in crit.labels:
                    raise InvalidParameterError(
                        f"Parameter 'reference' names level {label!r} for criterion "
                        f"{crit.name!r}, which has {crit.n_levels} levels: "
                        f"{_fmt_list(crit.labels)}. Pass one of them."
                    )
                refs.append(crit.labels.index(label))
            else:
                refs.append(int(np.argmax(crit.counts)))
        return refs

    def _build_points(self) -> None:
        points, base, scale, _ = compute_points(
            self._level_coefs, self.intercept_, scaling=self.scaling,
            round_points=bool(self.round_points), pdo=float(self.pdo),
            base_score=float(self.base_score), base_odds=float(self.base_odds))
        self._points = points
        self._scale = scale
        self.base_points_ = float(base)
        self._tables()

    def _tables(self) -> None:
        """Set the tables derived from the points: weights, points, IV, bands."""
        points = self._points
        ref_pts = [float(p[r]) for p, r in zip(points, self._refs, strict=True)]
        self.typical_points_ = float(self.base_points_ + sum(ref_pts))
        spans = np.array([float(p.max() - p.min()) for p in points])
        total = spans.sum()
        self.weights_ = pd.Series(100 * spans / total if total > 0 else spans,
                                  index=pd.Index(self.criteria_, name="criterion"),
                                  name="weight_pct")
        self.points_, self.information_value_ = _tab.points_table(
            self._criteria, points, self._level_coefs, self._refs)
        self.bands_ = _tab.bands_table(self._criteria)

    def _grade_table(self, scores: np.ndarray, y: np.ndarray | None) -> pd.DataFrame:
        return _tab.grade_table(self._grades_from_scores(scores), list(self.grade_labels),
                                self.grade_cutoffs_, y)

    # ------------------------------------------------------------------ scoring

    def _encode_column(self, crit: Criterion, column: pd.Series) -> tuple[np.ndarray, int]:
        """Level codes of a column, unseen values given the ``handle_unseen`` level."""
        codes, unseen = crit.encode(column)
        n_unseen = int(unseen.sum())
        if n_unseen:
            codes = codes.copy()
            codes[unseen] = self._unseen_level(crit)
        return codes, n_unseen

    def _unseen_level(self, crit: Criterion) -> int:
        i = self.criteria_.index(crit.name)
        if self.handle_unseen == "other" and crit.other_level is not None:
            return crit.other_level
        if self.handle_unseen == "lowest":
            return int(np.argmin(self._points[i]))
        return self._refs[i]

    def _encode(self, X: Any, *, strict: bool = False) -> list[np.ndarray]:
        check_is_fitted(self)
        frame = self._frame(X, reset=False, strict=strict)
        counts = {}
        codes = []
        for crit in self._criteria:
            if self.handle_unseen == "error":
                c, unseen = crit.encode(frame[crit.name])
                if unseen.any():
                    first = int(np.flatnonzero(unseen)[0])
                    raise _export.unseen_error(crit.name, int(unseen.sum()), first,
                                               frame[crit.name].iloc[first])
                codes.append(c)
            else:
                c, n_unseen = self._encode_column(crit, frame[crit.name])
                codes.append(c)
                if n_unseen:
                    counts[crit.name] = n_unseen
        if counts:
            warnings.warn(_export.unseen_message(counts, str(self.handle_unseen)),
                          DataQualityWarning, stacklevel=3)
        return codes

    def _total(self, codes: list[np.ndarray]) -> np.ndarray:
        total = np.full(len(codes[0]) if codes else 0, self.base_points_)
        for pts, c in zip(self._points, codes, strict=True):
            total = total + pts[c]
        return total

    def _eta_exact(self, codes: list[np.ndarray]) -> np.ndarray:
        eta = np.full(len(codes[0]), self.intercept_)
        for b, c in zip(self._level_coefs, codes, strict=True):
            eta = eta + b[c]
        return eta

    def _grades_from_scores(self, scores: np.ndarray) -> np.ndarray:
        return np.asarray(self.grade_labels, dtype=object)[
            grade_index(scores, self.grade_cutoffs_)]

    def _engine(self, X: Any) -> str | None:
        """Return the kind of an engine frame scored with expressions (None: pandas path)."""
        check_is_fitted(self)
        if isinstance(X, pd.DataFrame):
            return None
        kind = kind_of(X)
        return kind if kind in _ENGINE_KINDS else None

    def points(self, X: Any) -> Any:
        """Total score of each contact (the sum of its points; 0 to 100 with range scaling).

        Parameters
        ----------
        X : DataFrame or array-like
            Contacts with (at least) the criteria columns, selected by name. A pandas
            DataFrame or array, or a Polars DataFrame or LazyFrame, DuckDB relation,
            PyArrow Table or Dask DataFrame: those are scored in their engine (narwhals
            expressions, the ``CASE`` of :meth:`to_sql`) and lazy ones stay lazy.

        Returns
        -------
        Series or the input's kind
            Scores named ``"score"``: a pandas Series indexed like ``X``; a Polars Series,
            PyArrow ChunkedArray or Dask Series (on ``X``'s index) for those inputs; for a
            Polars LazyFrame or DuckDB relation, which have no row positions to align with,
            ``X``'s columns with ``score`` appended. Totals equal the pandas path's.

        Notes
        -----
        Eager frames (Polars, PyArrow) get the checks and the unseen-value warning of the
        pandas path. Lazy frames (LazyFrame, DuckDB, Dask) are not computed in the call, so
        nothing can be counted or refused: unseen values get the points ``handle_unseen``
        gives them, and ``null`` under ``"error"`` (as in :meth:`to_sql`); call
        :meth:`unseen_counts` to count them.
        """
        kind = self._engine(X)
        if kind is not None:
            return _export.score_frame(self, X, kind, what="points")
        codes = self._encode(X)
        return pd.Series(self._total(codes), index=_index(X), name="score")

    def points_breakdown(self, X: Any, *, relative: bool = True, n_top: int = 1) -> pd.DataFrame:
        """Why each contact has its score: points per criterion and the top criteria up and down.

        Parameters
        ----------
        X : DataFrame or array-like
            Contacts with the criteria columns.
        relative : bool, default True
            Show each criterion's points relative to the typical contact (its reference
            level), the "negative points" view: the contact's score is
            ``typical_points + sum of the columns``. With False, the raw level points
            (``score = base_points + sum``).
        n_top : int, default 1
            How many criteria to name in each direction, from 1 to the number of criteria.
            The ranking is always relative to the typical contact, whatever ``relative``
            says; ties go to the earlier criterion in ``criteria_``.

        Returns
        -------
        DataFrame or the input's kind
            One column per criterion, then ``start`` (typical or base points), ``score``,
            then the criteria adding and removing the most points relative to the typical
            contact (None where fewer criteria add, or remove, points). With ``n_top=1``:
            ``top_up`` and ``top_down``. With ``n_top=k > 1``: ``top_up_1`` .. ``top_up_k``
            (largest gain first) and ``top_down_1`` .. ``top_down_k`` (largest loss first);
            ``top_up_1`` equals the ``top_up`` of ``n_top=1``.
            Engine frames get a frame of their kind (see :meth:`points`; a LazyFrame or
            DuckDB relation keeps its other columns, the criteria columns being replaced
            by their points).

        Raises
        ------
        InvalidParameterError
            When ``n_top`` is not an integer from 1 to the number of criteria.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from clientseg import LogisticScorecard
        >>> rng = np.random.default_rng(0)
        >>> X = pd.DataFrame({"visits": rng.poisson(3, 3000),
        ...                   "origin": rng.choice(["web", "fair", "ad"], 3000)})
        >>> y = rng.random(3000) < 0.05 + 0.04 * X["visits"].clip(0, 8)
        >>> card = LogisticScorecard().fit(X, y)
        >>> parts = card.points_breakdown(X.head(3))
        >>> bool((parts["start"] + parts[["visits", "origin"]].sum(axis=1)
        ...       == parts["score"]).all())
        True
        >>> list(card.points_breakdown(X.head(3), n_top=2).columns[-4:])
        ['top_up_1', 'top_up_2', 'top_down_1', 'top_down_2']
        """
        kind = self._engine(X)
        self._check_n_top(n_top)
        if kind is not None:
            return _export.score_frame(self, X, kind, what="breakdown", relative=relative,
                                       n_top=n_top)
        codes = self._encode(X)
        raw = np.column_stack([p[c] for p, c in zip(self._points, codes, strict=True)])
        ref = np.array([p[r] for p, r in zip(self._points, self._refs, strict=True)])
        rel = raw - ref[None, :]
        shown = rel if relative else raw
        out = pd.DataFrame(shown, columns=self.criteria_, index=_index(X))
        out["start"] = self.typical_points_ if relative else self.base_points_
        out["score"] = self._total(codes)
        names = np.asarray(self.criteria_, dtype=object)
        rows = np.arange(len(rel))[:, None]
        # stable sorts: ties go to the earlier criterion, as np.argmax / np.argmin do
        up = np.argsort(-rel, axis=1, kind="stable")[:, :n_top]
        down = np.argsort(rel, axis=1, kind="stable")[:, :n_top]
        up_cols, down_cols = _export.top_columns(n_top)
        for cols, order, sign in ((up_cols, up, 1.0), (down_cols, down, -1.0)):
            named = names[order]  # fancy indexing: a copy
            named[~(sign * rel[rows, order] > 0)] = None
            for k, col in enumerate(cols):
                out[col] = pd.Series(named[:, k], index=out.index, dtype=object)
        return out

    def _check_n_top(self, n_top: Any) -> None:
        check_scalar("n_top", n_top, kind=int, low=1)
        if n_top > len(self.criteria_):
            raise InvalidParameterError(
                f"Parameter 'n_top' is {n_top}, but this card has {len(self.criteria_)} "
                f"criteria, so at most {len(self.criteria_)} can be named in each direction. "
                f"Pass n_top={len(self.criteria_)} or less."
            )

    def decision_function(self, X: Any) -> np.ndarray:
        """Log-odds of conversion implied by each contact's (rounded) score."""
        codes = self._encode(X, strict=True)
        return self._scale.log_odds(self._total(codes))

    def predict_proba(self, X: Any) -> Any:
        """Conversion probability from the score: columns (not converted, converted).

        The score maps back to log-odds linearly (``docs/user_guide/scorecard.md``), so two
        contacts with the same score get the same probability.

        Returns an array of shape (n, 2) for pandas and arrays. Engine frames (see
        :meth:`points`) get a frame of their kind with the columns ``proba_<class>`` for
        ``classes_`` (``proba_0``, ``proba_1``), computed in the engine.
        """
        kind = self._engine(X)
        if kind is not None:
            return _export.score_frame(self, X, kind, what="proba")
        p = expit(self.decision_function(X))
        return np.column_stack([1 - p, p])

    def predict(self, X: Any) -> np.ndarray:
        """Predicted class: 1 where the conversion probability exceeds 0.5."""
        decision = self.decision_function(X)  # checks fitted before classes_ is read
        return self.classes_[(decision > 0).astype(int)]

    def grade(self, X: Any) -> Any:
        """Grade of each contact (``grade_labels``, best first), as an ordered categorical.

        Engine frames (see :meth:`points`) get the grades as strings, in their kind (a
        column ``grade``), computed in the engine from the same thresholds.
        """
        kind = self._engine(X)
        if kind is not None:
            return _export.score_frame(self, X, kind, what="grade")
        scores = self.points(X)
        grades = self._grades_from_scores(scores.to_numpy())
        return pd.Series(pd.Categorical(grades, categories=list(self.grade_labels), ordered=True),
                         index=scores.index, name="grade")

    def grade_table(self, X: Any, y: Any = None) -> pd.DataFrame:
        """Grade sizes (and, with ``y``, conversion rate, lift and cumulative capture)."""
        scores = self.points(X).to_numpy()
        yy = None if y is None else self._outcome(y, len(scores))
        return self._grade_table(scores, yy)

    def unseen_counts(self, X: Any) -> pd.Series:
        """Count the values in ``X`` not seen at fit time, per criterion (0 when none).

        Engine frames, lazy ones included, are counted in their engine (this computes).
        """
        kind = self._engine(X)
        if kind is not None:
            return _export.count_unseen(self, X)
        frame = self._frame(X, reset=False, strict=False)
        return pd.Series({c.name: int(c.encode(frame[c.name])[1].sum()) for c in self._criteria},
                         name="unseen", dtype=int)

    def design_matrix(self, X: Any) -> pd.DataFrame:
        """Return the dummy-coded design the regression uses: intercept, then non-reference levels.

        Columns are named ``"criterion=level"``. Useful to refit the same model elsewhere
        (statsmodels, for example); values are 0.0/1.0.
        """
        codes = self._encode(X)
        cols = {"(intercept)": np.ones(len(codes[0]))}
        for crit, c, ref in zip(self._criteria, codes, self._refs, strict=True):
            for lev, label in enumerate(crit.labels):
                if lev != ref:
                    cols[f"{crit.name}={label}"] = (c == lev).astype(float)
        return pd.DataFrame(cols, index=_index(X))


#: Engine kinds scored with narwhals expressions (others are converted to pandas first).
_ENGINE_KINDS = ("polars", "polars-lazy", "duckdb", "pyarrow", "dask")


def _index(X: Any) -> pd.Index:
    return X.index if isinstance(X, pd.DataFrame) else pd.RangeIndex(len(X))


def _check_edges(name: Any, values: Any) -> None:
    """Refuse user edges that are not numbers or are NaN (a NaN edge cuts nothing)."""
    raw = np.ravel(np.asarray(values, dtype=object))
    numbers = pd.to_numeric(pd.Series(raw, dtype=object), errors="coerce").to_numpy(float)
    bad = np.isnan(numbers)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise InvalidParameterError(
            f"Parameter 'edges' for column {name!r} has {int(bad.sum())} value(s) that are "
            f"NaN or not numbers (first at position {first}: {raw[first]!r}). Pass finite "
            f"numbers, e.g. edges={{{name!r}: [0.0, 30.0, 60.0]}}."
        )
