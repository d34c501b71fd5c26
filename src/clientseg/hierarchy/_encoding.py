"""Mixed-data encoder (FAMD geometry) for the Ward hierarchy (private; public in hierarchy).

Factor analysis of mixed data (FAMD, Escofier 1979; Pagès 2004) is a principal component
analysis of a table where numeric criteria are standardised and each level ``s`` of a
categorical criterion becomes the column ``(1[x = s] − p_s) / sqrt(p_s)``, ``p_s`` being the
level's share. In that table the squared Euclidean distance between two customers is

    Σ_numeric ((x − x') / σ)²  +  Σ_categorical Σ_levels (δ_s − δ'_s)² / p_s,

so two customers differing on a rare level are further apart than on a common one, and
each categorical criterion with K levels weighs K − 1 against 1 for a numeric one (the
total inertia is ``n_numeric + Σ (K_j − 1)``). The PCA rotates that space without changing
distances; keeping only the first components (HCPC's ``ncp``) drops the noisiest
directions.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from clientseg._core.backends import kind_of, native_pandas
from clientseg._core.validation import (
    check_array,
    check_flat_columns,
    check_options,
    check_scalar,
)
from clientseg.exceptions import DataQualityWarning, InvalidDataError, InvalidParameterError

__all__ = ["MixedDataEncoder"]


#: A categorical column with more distinct values than this share of the rows (on at least
#: :data:`ID_MIN_ROWS` rows) is an identifier or free text, not a criterion: as categories,
#: each of its values would be a level of its own and the one-hot block as wide as the rows.
ID_LEVEL_SHARE = 0.5
ID_MIN_ROWS = 20
#: Share of a text column's values (sampled) that parse as dates for it to be a date.
DATE_TEXT_SHARE = 0.9
_DATE_SAMPLE = 200


def _is_categorical(series: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)


def _looks_like_dates(series: pd.Series) -> bool:
    """Whether a text column holds dates: most of a sample parses and has digits."""
    values = series.dropna()
    if values.empty or pd.api.types.is_bool_dtype(series):
        return False
    sample = values.iloc[:: max(1, len(values) // _DATE_SAMPLE)].astype(str)
    if not sample.str.contains(r"\d", regex=True).all():
        return False
    if not sample.str.contains(r"[-/.: T]", regex=True).all():  # plain numbers are not dates
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = pd.to_datetime(sample, errors="coerce", format="mixed")
    return float(parsed.notna().mean()) >= DATE_TEXT_SHARE


def non_criteria(frame: pd.DataFrame, categorical: list[Any]) -> dict[Any, str]:
    """Categorical columns that cannot be criteria, each with the reason in words.

    Identifiers and free text (more distinct values than :data:`ID_LEVEL_SHARE` of the
    rows, on at least :data:`ID_MIN_ROWS` rows) and dates written as text
    (:data:`DATE_TEXT_SHARE` of a sample of at most 200 values parse as dates). Numeric
    columns are never listed, whatever their number of distinct values. One count of
    distinct values per column: no encoding work.
    """
    n = len(frame)
    found: dict[Any, str] = {}
    for c in categorical:
        if _looks_like_dates(frame[c]):
            found[c] = "dates written as text"
            continue
        k = int(frame[c].nunique(dropna=True)) if n >= ID_MIN_ROWS else 0
        if k > ID_LEVEL_SHARE * n:
            found[c] = f"{k:,} distinct values in {n:,} rows"
    return found


def refuse_non_criteria(frame: pd.DataFrame, categorical: list[Any]) -> None:
    """Refuse identifiers, text dates and free text before any encoding work is done."""
    found = non_criteria(frame, categorical)
    dates = [c for c, why in found.items() if why.startswith("dates")]
    ids = [(c, why) for c, why in found.items() if not why.startswith("dates")]
    problems = []
    if dates:
        problems.append(
            f"{len(dates)} column(s) hold dates written as text: {dates} (as categories, "
            f"every distinct date would be a level of its own). Turn them into durations in "
            f"days (as rfm_table's recency_days does) or drop them"
        )
    if ids:
        listed = ", ".join(f"{c!r} ({why})" for c, why in ids)
        problems.append(
            f"{len(ids)} column(s) have about one value per row, as identifiers and free "
            f"text do: {listed}. A criterion groups customers: drop these columns, or map "
            f"them to a few groups first"
        )
    if problems:
        raise InvalidDataError("X has columns that cannot be criteria: " + "; ".join(problems)
                               + ". Nothing was encoded.")


class MixedDataEncoder(TransformerMixin, BaseEstimator):
    """Encode numeric and categorical criteria so that distances are FAMD distances.

    Numeric columns are standardised (population standard deviation); each level ``s`` of a
    categorical column becomes ``(1[x = s] − p_s) / sqrt(p_s)`` with ``p_s`` its share in the
    training data. Euclidean distance on the output equals distance in the full FAMD space
    (see ``docs/user_guide/hierarchy.md``), which makes the output a sound input for Ward.

    Parameters
    ----------
    categorical : "auto" or list, default "auto"
        Which columns are categorical. ``"auto"``: for a DataFrame, every column that is not
        numeric or is boolean (object, string, category, bool); for an array, none. A list
        names the columns (DataFrame) or gives their positions (array).
    n_components : int or None, default None
        Keep only the first principal components of the FAMD (HCPC's ``ncp``). ``None``
        keeps the full encoding (distances exact).
    handle_unknown : {"ignore", "error"}, default "ignore"
        A level unseen in fit: ``"ignore"`` encodes it as no level at all (every indicator
        of that criterion at 0, i.e. the criterion's centre); ``"error"`` raises.

    Attributes
    ----------
    numeric_columns_ : list
        Numeric columns kept (constant ones are dropped with a warning).
    categorical_columns_ : list
        Categorical columns kept (single-level ones are dropped with a warning).
    means_, scales_ : ndarray
        Mean and population standard deviation of each numeric column.
    levels_ : dict
        Column -> array of its levels (sorted as strings).
    proportions_ : dict
        Column -> array of each level's share in the training data.
    components_ : ndarray of shape (n_components, n_encoded)
        Principal axes (only with ``n_components``).
    explained_inertia_ : ndarray
        Inertia (eigenvalue) of every principal axis of the full encoding (only with
        ``n_components``); sums to ``n_numeric + Σ (levels − 1)``.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when fitted on a DataFrame with string column names.

    Examples
    --------
    >>> import pandas as pd
    >>> from clientseg import MixedDataEncoder
    >>> df = pd.DataFrame({"age": [25.0, 35.0, 45.0, 55.0],
    ...                    "channel": ["web", "web", "store", "web"]})
    >>> enc = MixedDataEncoder().fit(df)
    >>> enc.get_feature_names_out().tolist()
    ['age', 'channel_store', 'channel_web']
    >>> enc.transform(df).round(3)[0].tolist()
    [-1.342, -0.5, 0.289]
    """

    def __init__(
        self,
        categorical: Any = "auto",
        *,
        n_components: int | None = None,
        handle_unknown: str = "ignore",
    ) -> None:
        self.categorical = categorical
        self.n_components = n_components
        self.handle_unknown = handle_unknown

    # ---- input handling ------------------------------------------------------------

    def _frame(self, X: Any, *, reset: bool) -> pd.DataFrame:
        """Return X as a DataFrame (arrays get integer column names); never mutated.

        Arrays go through scikit-learn's ``validate_data`` (numeric unless columns are
        declared categorical), so sparse, complex, 1-D and empty input get its messages.
        """
        if not isinstance(X, pd.DataFrame) and kind_of(X) not in (None, "other"):
            X = native_pandas(X)  # Polars, PyArrow, DuckDB, Dask: read as pandas would
        if isinstance(X, pd.DataFrame):
            check_flat_columns(X, param="X")
            validate_data(self, X, skip_check_array=True, reset=reset)
            if X.shape[1] == 0:
                raise InvalidDataError(
                    f"X has 0 feature(s) (shape={X.shape}) while a minimum of 1 is required."
                    f" Pass at least one criterion."
                )
            return X
        numeric = isinstance(self.categorical, str) or len(list(self.categorical)) == 0
        arr = validate_data(
            self,
            X,
            reset=reset,
            dtype="numeric" if numeric else None,
            ensure_all_finite=numeric,
            ensure_min_samples=2 if reset else 1,
        )
        return pd.DataFrame(arr)

    def _roles(self, frame: pd.DataFrame) -> tuple[list[Any], list[Any]]:
        cols = list(frame.columns)
        dates = [c for c in cols if pd.api.types.is_datetime64_any_dtype(frame[c])
                 or isinstance(frame[c].dtype, pd.PeriodDtype)
                 or pd.api.types.is_timedelta64_dtype(frame[c])]
        if dates:  # as categories, every distinct date would be a level of its own
            raise InvalidDataError(
                f"X has {len(dates)} date or duration column(s): {dates}. Distances need "
                f"numbers: turn them into durations in days (as rfm_table's recency_days "
                f"and tenure_days do) or drop them."
            )
        if isinstance(self.categorical, str):
            check_options("categorical", self.categorical, ("auto",))
            cat = [c for c in cols if _is_categorical(frame[c])]
        else:
            try:
                listed = list(self.categorical)
            except TypeError:
                raise InvalidParameterError(
                    f"Parameter 'categorical' must be 'auto' or a list of columns; got "
                    f"{self.categorical!r}."
                ) from None
            missing = [c for c in listed if c not in cols]
            if missing:
                raise InvalidParameterError(
                    f"Parameter 'categorical' names {len(missing)} column(s) absent from X: "
                    f"{missing}. Columns present: {cols}."
                )
            cat = listed
        num = [c for c in cols if c not in set(cat)]
        bad = [c for c in num if _is_categorical(frame[c])]
        if bad:
            raise InvalidDataError(
                f"X has {len(bad)} non-numeric column(s) not declared categorical: {bad}. "
                f"Leave categorical='auto' or list them in categorical."
            )
        return num, cat

    def _numeric(self, frame: pd.DataFrame, columns: list[Any], min_samples: int) -> np.ndarray:
        if not columns:
            return np.empty((len(frame), 0))
        sub = frame[columns]
        return check_array(
            sub if isinstance(sub, pd.DataFrame) else sub.to_frame(),
            param="X",
            min_samples=min_samples,
        )

    @staticmethod
    def _codes(series: pd.Series, column: Any) -> tuple[np.ndarray, np.ndarray]:
        """Return (level names as str, code of every row) by hashing, without Python loops.

        Levels are compared as text (``str(value)``), so ``True`` and ``"True"`` are one
        level; missing values are refused.
        """
        cat = series.astype("category") if not isinstance(series.dtype, pd.CategoricalDtype) \
            else series
        codes = cat.cat.codes.to_numpy()
        missing = codes < 0
        if missing.any():
            raise InvalidDataError(
                f"Categorical column {column!r} has {int(missing.sum()):,} missing values "
                f"(first at row {int(np.flatnonzero(missing)[0])}). Fill them with an "
                f"explicit level, e.g. X[{column!r}].fillna('missing')."
            )
        names = np.asarray(cat.cat.categories.astype(str), dtype=object)
        if len(set(names.tolist())) < len(names):  # 1 and "1": one level, as documented
            names, merged = np.unique(names.astype(str), return_inverse=True)
            codes = merged[codes]
            names = names.astype(object)
        return names, codes

    # ---- fit / transform -----------------------------------------------------------

    def fit(self, X: Any, y: Any = None) -> MixedDataEncoder:
        """Learn the numeric scales, the categorical levels and their shares.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            At least 2 rows.
        y : None
            Ignored.

        Returns
        -------
        self
        """
        check_options("handle_unknown", self.handle_unknown, ("ignore", "error"))
        if self.n_components is not None:
            check_scalar("n_components", self.n_components, kind=int, low=1)
        frame = self._frame(X, reset=True)
        if len(frame) < 2:
            raise InvalidDataError(
                f"X has {len(frame)} sample(s); at least 2 samples are needed to learn "
                f"scales and level shares."
            )
        num, cat = self._roles(frame)
        refuse_non_criteria(frame, cat)
        values = self._numeric(frame, num, min_samples=2)
        means = values.mean(axis=0)
        scales = values.std(axis=0)
        constant = scales <= 1e-12 * np.maximum(np.abs(means), 1.0)
        if constant.any():
            names = [num[i] for i in np.flatnonzero(constant)]
            warnings.warn(
                f"{len(names)} numeric column(s) are constant and carry no information: "
                f"{names}. They are left out of the encoding; drop them to silence this.",
                DataQualityWarning,
                stacklevel=2,
            )
        self.numeric_columns_ = [c for c, k in zip(num, constant, strict=True) if not k]
        self.means_ = means[~constant]
        self.scales_ = scales[~constant]
        self.levels_: dict[Any, np.ndarray] = {}
        self.proportions_: dict[Any, np.ndarray] = {}
        single = []
        for col in cat:
            found, codes = self._codes(frame[col], col)
            counts = np.bincount(codes, minlength=found.size)
            seen = counts > 0
            order = np.argsort(found[seen].astype(str), kind="stable")
            levels = found[seen][order]
            counts = counts[seen][order]
            if levels.size < 2:
                single.append(col)
                continue
            self.levels_[col] = levels
            self.proportions_[col] = counts / counts.sum()
        if single:
            warnings.warn(
                f"{len(single)} categorical column(s) have a single level and carry no "
                f"information: {single}. They are left out of the encoding; drop them to "
                f"silence this.",
                DataQualityWarning,
                stacklevel=2,
            )
        self.categorical_columns_ = [c for c in cat if c in self.levels_]
        width = len(self.numeric_columns_) + sum(v.size for v in self.levels_.values())
        if width == 0:
            raise InvalidDataError(
                f"Every one of the {frame.shape[1]} column(s) of X is constant: nothing is "
                f"left to encode. Pass criteria that vary between customers."
            )
        if self.n_components is not None:
            Z = self._encode(frame)
            # Eigen-decomposition of the p x p cross-product: fast for n >> p.
            gram = Z.T @ Z
            eigval, eigvec = np.linalg.eigh(gram)
            order = np.argsort(eigval)[::-1]
            eigval, eigvec = np.clip(eigval[order], 0.0, None), eigvec[:, order]
            # Deterministic signs: the largest loading of each axis is positive.
            signs = np.sign(eigvec[np.abs(eigvec).argmax(axis=0), np.arange(eigvec.shape[1])])
            eigvec = eigvec * np.where(signs == 0, 1.0, signs)
            n_comp = min(self.n_components, width)
            self.components_ = eigvec[:, :n_comp].T
            self.explained_inertia_ = eigval / Z.shape[0]
        return self

    def _encode(self, frame: pd.DataFrame) -> np.ndarray:
        n = len(frame)
        parts = [(self._numeric(frame, self.numeric_columns_, 1) - self.means_) / self.scales_]
        for col in self.categorical_columns_:
            levels, p = self.levels_[col], self.proportions_[col]
            names, codes = self._codes(frame[col], col)
            # position of each of the frame's categories among the fitted levels (-1: unseen)
            lookup = pd.Index(levels).get_indexer(names)
            pos = lookup[codes]
            known = pos >= 0
            if not known.all() and self.handle_unknown == "error":
                first = int(np.flatnonzero(~known)[0])
                raise InvalidDataError(
                    f"Column {col!r} has {int((~known).sum()):,} values at levels unseen in "
                    f"fit (first at row {first}: {names[codes[first]]!r}). Pass "
                    f"handle_unknown='ignore' to encode them at the criterion's centre."
                )
            block = np.zeros((n, levels.size))
            rows = np.flatnonzero(known)
            block[rows, pos[rows]] = 1.0
            parts.append((block - p) / np.sqrt(p))
        return np.hstack(parts) if parts else np.empty((n, 0))

    def transform(self, X: Any) -> np.ndarray:
        """Encode rows (FAMD coordinates if ``n_components`` was given).

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Same columns as in fit.

        Returns
        -------
        ndarray of shape (n_samples, n_encoded)
        """
        check_is_fitted(self)
        frame = self._frame(X, reset=False)
        Z = self._encode(frame)
        if self.n_components is not None:
            return Z @ self.components_.T
        return Z

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the output columns.

        ``<column>`` for numeric criteria, ``<column>_<level>`` for categorical ones, or
        ``dim_1, dim_2, ...`` with ``n_components`` (FactoMineR's ``Dim.1``...).

        Parameters
        ----------
        input_features : ignored
            Present for scikit-learn compatibility.

        Returns
        -------
        ndarray of str
        """
        check_is_fitted(self)
        if self.n_components is not None:
            return np.array([f"dim_{i + 1}" for i in range(self.components_.shape[0])],
                            dtype=object)

        def name(col: Any) -> str:
            return col if isinstance(col, str) else f"x{col}"

        names = [name(c) for c in self.numeric_columns_]
        for col in self.categorical_columns_:
            names += [f"{name(col)}_{level}" for level in self.levels_[col]]
        return np.array(names, dtype=object)
