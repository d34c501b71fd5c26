"""Checks of the inputs of :func:`~clientseg.campaign.plan_campaign`.

This is the only code of the package that inspects user arrays.

Each message names the parameter, the problem, a count (and the first offending position)
and the fix, as every clientseg error does.
"""

from __future__ import annotations

import numbers
import operator
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from clientseg.exceptions import EmptyDataError, InvalidDataError, InvalidParameterError

__all__: list[str] = []

_PROBA_FIX = (
    "Pass conversion probabilities in [0, 1], e.g. card.predict_proba(X)[:, 1] for a "
    "fitted LogisticScorecard (or a calibrated points grid's probabilities), not scores "
    "on 0..100 points or log-odds."
)


def as_vector(param: str, values: Any) -> np.ndarray:
    """Return ``values`` as a 1-D float array (a copy is never needed: inputs are not written)."""
    if isinstance(values, pd.DataFrame):
        if values.shape[1] != 1:
            raise InvalidDataError(
                f"Parameter {param!r} is a DataFrame with {values.shape[1]} columns; pass one "
                f"column (a Series or a 1-D array).")
        values = values.iloc[:, 0]
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InvalidDataError(
            f"Parameter {param!r} must hold numbers; {exc}. Convert it with "
            f"pd.to_numeric first.") from exc
    if arr.ndim == 2 and arr.shape[1] == 2 and param in ("probabilities", "calibration"):
        raise InvalidDataError(
            f"Parameter {param!r} has 2 columns (shape {arr.shape}): it looks like the output "
            f"of predict_proba. Pass its second column, card.predict_proba(X)[:, 1].")
    if arr.ndim != 1:
        raise InvalidDataError(
            f"Parameter {param!r} must be one-dimensional; got shape {arr.shape}. Pass one "
            f"value per contact.")
    return arr


def _first(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def check_probabilities(param: str, values: Any) -> np.ndarray:
    """Return a 1-D array of probabilities in [0, 1], no NaN, at least one contact."""
    p = as_vector(param, values)
    if p.size == 0:
        raise EmptyDataError(f"Parameter {param!r} has no contacts; pass one probability per "
                             f"contact to plan.")
    nan = np.isnan(p)
    if nan.any():
        raise InvalidDataError(
            f"Parameter {param!r} has {int(nan.sum()):,} NaN values (first at position "
            f"{_first(nan)}). Score every contact (missing criteria have their own level in a "
            f"LogisticScorecard) or drop the unscored contacts before planning.")
    out = (p < 0) | (p > 1)
    if out.any():
        i = _first(out)
        raise InvalidDataError(
            f"Parameter {param!r} has {int(out.sum()):,} values outside [0, 1] (first at "
            f"position {i}: {p[i]:g}); a campaign plan needs probabilities. {_PROBA_FIX}")
    return p


def check_cost(param: str, value: Any) -> float:
    """Return a finite, non-negative number."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidParameterError(
            f"Parameter {param!r} must be a number (a cost in money per contact or per "
            f"campaign); got {value!r}.")
    v = float(value)
    if not np.isfinite(v) or v < 0:
        raise InvalidParameterError(
            f"Parameter {param!r} must be a finite cost >= 0; got {v:g}. Costs are positive "
            f"amounts; put income in value_per_conversion.")
    return v


def check_values(value: Any, n: int) -> np.ndarray | float:
    """``value_per_conversion``: a number >= 0, or one finite value >= 0 per contact."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        v = float(value)
        if not np.isfinite(v) or v < 0:
            raise InvalidParameterError(
                f"Parameter 'value_per_conversion' must be a finite value >= 0; got {v:g}. "
                f"It is the revenue (or margin) one conversion brings.")
        return v
    arr = as_vector("value_per_conversion", value)
    if arr.size != n:
        raise InvalidDataError(
            f"Parameter 'value_per_conversion' has {arr.size:,} values for {n:,} contacts; "
            f"pass one number, or one value per contact in the order of probabilities.")
    bad = ~np.isfinite(arr) | (arr < 0)
    if bad.any():
        i = _first(bad)
        raise InvalidDataError(
            f"Parameter 'value_per_conversion' has {int(bad.sum()):,} values that are NaN, "
            f"infinite or negative (first at position {i}: {arr[i]:g}). Fill missing values "
            f"(e.g. with the segment's mean value) and set returns to 0.")
    return arr


def check_limit(param: str, value: Any, *, integer: bool) -> Any:
    """``budget`` (a number > 0) or ``capacity`` (an integer >= 1); None passes."""
    if value is None:
        return None
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind):
        what = "an integer number of contacts" if integer else "an amount of money"
        raise InvalidParameterError(f"Parameter {param!r} must be {what} or None; "
                                    f"got {value!r}.")
    if integer:
        count = operator.index(value)  # type: ignore[arg-type]  # an Integral here
        if count < 1:
            raise InvalidParameterError(
                f"Parameter 'capacity' must be at least 1 contact; got {count}. Pass "
                f"capacity=None for no limit on the number of contacts.")
        return count
    v = float(value)
    if not np.isfinite(v) or v <= 0:
        raise InvalidParameterError(
            f"Parameter 'budget' must be a finite amount > 0; got {v:g}. Pass budget=None "
            f"for no limit.")
    return v


def check_segments(segments: Any, n: int) -> tuple[np.ndarray, pd.Index]:
    """Return (code per contact, labels) for ``segments``: no NaN, length n, none empty."""
    if isinstance(segments, pd.DataFrame):
        raise InvalidDataError("Parameter 'segments' is a DataFrame; pass one label per "
                               "contact (a Series or a 1-D array).")
    if isinstance(segments, pd.Series):
        seg = segments
    elif isinstance(segments, pd.Categorical | pd.Index):
        seg = pd.Series(segments)
    else:
        seg = pd.Series(np.asarray(segments))
    if seg.ndim != 1 or len(seg) != n:
        raise InvalidDataError(
            f"Parameter 'segments' has {len(seg):,} labels for {n:,} contacts; pass one "
            f"segment label per contact, in the order of probabilities.")
    missing = seg.isna().to_numpy()
    if missing.any():
        raise InvalidDataError(
            f"Parameter 'segments' has {int(missing.sum()):,} missing labels (first at "
            f"position {_first(missing)}). Give those contacts a segment of their own, e.g. "
            f"segments.fillna('(none)').")
    if isinstance(seg.dtype, pd.CategoricalDtype):
        used = pd.unique(seg.cat.codes.to_numpy())
        empty = [c for i, c in enumerate(seg.cat.categories) if i not in set(used.tolist())]
        if empty:
            raise InvalidDataError(
                f"Parameter 'segments' has {len(empty)} categories with no contacts "
                f"({_names(empty)}). Drop them with segments.cat.remove_unused_categories() "
                f"or plan on the contacts of those segments too.")
        labels = seg.cat.categories
        codes = seg.cat.codes.to_numpy().astype(np.intp)
    else:
        codes_, labels = pd.factorize(seg, sort=True)
        codes = codes_.astype(np.intp)
    return codes, pd.Index(labels)


def _names(labels: Any, limit: int = 5) -> str:
    shown = ", ".join(repr(x.item() if hasattr(x, "item") else x) for x in list(labels)[:limit])
    return shown + (", ..." if len(labels) > limit else "")


def check_segment_value(segment_value: Any, labels: pd.Index) -> np.ndarray:
    """Value per conversion of each segment in ``labels`` (NaN: not given)."""
    if not isinstance(segment_value, Mapping | pd.Series):
        raise InvalidParameterError(
            f"Parameter 'segment_value' must map segment labels to a value per conversion "
            f"(a dict or a Series); got {type(segment_value).__name__}.")
    sv = pd.Series(segment_value, dtype=float) if isinstance(segment_value, Mapping) \
        else segment_value.astype(float)
    unknown = [k for k in sv.index if k not in labels]
    if unknown:
        raise InvalidDataError(
            f"Parameter 'segment_value' names {len(unknown)} segments with no contacts "
            f"({_names(unknown)}); the segments present are {_names(labels, 10)}. Remove "
            f"them or check the labels' type (1 is not '1').")
    vals = sv.to_numpy()
    bad = ~np.isfinite(vals) | (vals < 0)
    if bad.any():
        raise InvalidDataError(
            f"Parameter 'segment_value' has {int(bad.sum())} values that are NaN, infinite "
            f"or negative ({_names(sv.index[bad])}). Give each segment a value >= 0.")
    return sv.reindex(labels).to_numpy(dtype=float)


def check_outcome(param: str, converted: Any, n: int) -> np.ndarray:
    """0/1 outcomes (bool or numbers), one per contact, no NaN."""
    y = as_vector(param, converted)
    if y.size != n:
        raise InvalidDataError(
            f"Parameter {param!r} has {y.size:,} outcomes for {n:,} contacts; pass one 0/1 "
            f"outcome per contact, in the same order.")
    bad = ~np.isin(y, (0.0, 1.0))
    if bad.any():
        i = _first(bad)
        raise InvalidDataError(
            f"Parameter {param!r} has {int(bad.sum()):,} values that are not 0/1 (first at "
            f"position {i}: {y[i]:g}). Map the outcome to 1 (converted) and 0 (not), e.g. "
            f"(y == 'yes').astype(int); drop contacts whose outcome is unknown.")
    return y


def check_n_boot(n_boot: Any) -> int:
    """Return a non-negative integer (0, or at least 20 resamples)."""
    value: Any = n_boot
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) \
            or operator.index(value) < 0:
        raise InvalidParameterError(
            f"Parameter 'n_boot' must be an integer >= 0 (0 skips the calibration band); "
            f"got {n_boot!r}.")
    if 0 < operator.index(value) < 20:
        raise InvalidParameterError(
            f"Parameter 'n_boot' is {int(n_boot)}: too few resamples for a 95% band (its "
            f"ends are the 2.5% and 97.5% quantiles). Pass n_boot >= 20 (200 is the default) "
            f"or 0 to skip the calibration band.")
    return operator.index(value)


def check_level(level: Any) -> float:
    """Return a coverage strictly between 0 and 1."""
    if isinstance(level, bool) or not isinstance(level, numbers.Real) \
            or not 0 < float(level) < 1:
        raise InvalidParameterError(
            f"Parameter 'level' must be a coverage strictly between 0 and 1 (0.95 for 95% "
            f"bands); got {level!r}.")
    return float(level)


def check_options(param: str, value: Any, allowed: tuple[str, ...]) -> str:
    """One of ``allowed``."""
    if value not in allowed:
        raise InvalidParameterError(
            f"Parameter {param!r} must be one of {', '.join(map(repr, allowed))}; "
            f"got {value!r}.")
    return str(value)
