"""The :class:`QualityReport` result object, its checks and its summary."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from clientseg._core.summary import Summary
from clientseg._core.validation import check_options, check_scalar
from clientseg.quality._stability import DISSOLVED_JACCARD, StabilityResult

__all__ = ["QUALITY_CHECK_COLUMNS", "QUALITY_THRESHOLDS", "QualityReport"]

#: Default thresholds of the checks (``None`` switches a check off). Why each value:
#: ``docs/user_guide/quality.md``.
QUALITY_THRESHOLDS: Mapping[str, float | None] = MappingProxyType({
    "min_share": 0.05,
    "min_count": 100,
    "max_inertia_ratio": 0.8,
    "min_separation": 1.0,
    "min_silhouette": 0.0,
    "min_vtest": 3.0,
    "min_value_share": 0.01,
    "min_reachable_share": 0.5,
    "min_jaccard": 0.75,
    "min_retention": 0.7,
})

QUALITY_CHECK_COLUMNS = ("segment", "check", "value", "threshold", "passed", "reason")

_PLOT_KINDS = ("map", "profile", "stability")

_NOT_COMPUTED = {
    "homogeneity": "every customer has the same numeric values (no spread to compare with)",
    "silhouette": "none of its customers fell in the silhouette sample; raise "
                  "silhouette_sample",
    "value_share": "the total value of the base is 0",
    "stability": "none of its customers fell in the stability sample; raise "
                 "stability_sample",
}


#: Words for the RFM variables in segment names: (above the base, below the base).
_RFM_WORDS = {"recency_days": ("lapsed", "recent"), "frequency": ("frequent", "rare"),
              "monetary": ("high spend", "low spend")}


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"



def _segment_name(label: Any) -> str:
    """Show a segment label as users wrote it: 6, not np.float64(6.0); 'gold' quoted."""
    value = label.item() if hasattr(label, "item") else label
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return repr(value)


def build_checks(seg: pd.DataFrame, top: pd.DataFrame, th: Mapping[str, Any],
                 stability: StabilityResult | None) -> pd.DataFrame:
    """One row per segment x check: value, threshold, passed and the reason in words."""
    rows: list[tuple[Any, str, float, float, bool, str]] = []
    n_boot = stability.n_boot if stability is not None else 0
    for name, r in seg.iterrows():  # one iteration per segment
        def add(check: str, value: float, threshold: float | None, higher_ok: bool,
                ok_text: str, bad_text: str, name: Any = name) -> None:
            if threshold is None:
                return
            if value is None or np.isnan(value):  # +inf is a value (point-like segments)
                why = _NOT_COMPUTED.get(check, "the measure is undefined on these data")
                rows.append((name, check, np.nan, float(threshold), False,
                             f"could not be computed: {why}"))
                return
            passed = bool(value >= threshold) if higher_ok else bool(value <= threshold)
            rows.append((name, check, float(value), float(threshold), passed,
                         ok_text if passed else bad_text))

        share, count = r["share"], r["count"]
        t = th["min_share"]
        if t is not None:
            add("size_share", share, t, True, f"{_pct(share)} of customers (minimum {_pct(t)})",
                f"{_pct(share)} of customers, below the minimum of {_pct(t)}: too small to "
                f"justify actions of its own")
        t = th["min_count"]
        if t is not None:
            add("size_count", count, t, True, f"{int(count):,} customers (minimum {int(t):,})",
                f"{int(count):,} customers, below the minimum of {int(t):,}: too few to "
                f"measure a response")
        ir = r["inertia_ratio"]
        t = th["max_inertia_ratio"]
        if t is not None:
            add("homogeneity", ir, t, False,
                f"spread {ir:.2f} times the base's (maximum {t:.2f})",
                f"spread {ir:.2f} times the base's, above the maximum of {t:.2f}: its "
                f"customers differ almost as much as the whole base")
        sep, near = r["separation"], _segment_name(r["nearest_segment"])
        t = th["min_separation"]
        if t is not None:
            add("separation", sep, t, True,
                f"centre {sep:.2f} standard deviations from the nearest segment {near} "
                f"(minimum {t:.2f})",
                f"centre {sep:.2f} standard deviations from the nearest segment {near}, "
                f"below {t:.2f}: the two overlap")
        sil, sn = r["silhouette"], r["silhouette_n"]
        t = th["min_silhouette"]
        if t is not None:
            add("silhouette", sil, t, True,
                f"mean silhouette {sil:.2f} on {int(sn):,} sampled customers (minimum {t:.2f})",
                f"mean silhouette {sil:.2f} on {int(sn):,} sampled customers, below {t:.2f}: "
                f"its customers are about as close to another segment as to their own")
        t = th["min_vtest"]
        if t is not None:
            best = top[top["segment"] == name]
            if len(best):
                b = best.iloc[0]
                vmax = abs(float(b["v_test"]))
                what = b["feature"]
            else:
                vmax, what = 0.0, "no variable"
            add("recognisable", vmax, t, True,
                f"largest |v-test| {vmax:.1f} ({what}; minimum {t:.1f})",
                f"largest |v-test| {vmax:.1f} ({what}), below {t:.1f}: no variable tells "
                f"it apart from the base")
        if "value_share" in seg and th["min_value_share"] is not None:
            t = th["min_value_share"]
            vs = r["value_share"]
            add("value_share", vs, t, True, f"{_pct(vs)} of the value (minimum {_pct(t)})",
                f"{_pct(vs)} of the value, below {_pct(t)}: not worth a budget of its own")
        if "reachable_share" in seg and th["min_reachable_share"] is not None:
            t = th["min_reachable_share"]
            rs = r["reachable_share"]
            add("reachable", rs, t, True, f"{_pct(rs)} reachable (minimum {_pct(t)})",
                f"{_pct(rs)} reachable, below {_pct(t)}: most of it cannot be contacted")
        if "jaccard_mean" in seg and th["min_jaccard"] is not None:
            t = th["min_jaccard"]
            j = r["jaccard_mean"]
            word = "dissolved" if j <= DISSOLVED_JACCARD else "doubtful"
            add("stability", j, t, True,
                f"mean Jaccard {j:.2f} over {n_boot} refits (minimum {t:.2f})",
                f"mean Jaccard {j:.2f} over {n_boot} refits, below {t:.2f} ({word}): refits "
                f"on resamples do not find it again")
        if "retention" in seg and th["min_retention"] is not None:
            t = th["min_retention"]
            ret = r["retention"]
            add("retention", ret, t, True,
                f"{_pct(ret)} kept their segment since the previous snapshot (minimum "
                f"{_pct(t)})",
                f"{_pct(ret)} kept their segment since the previous snapshot, below "
                f"{_pct(t)}: the segment is volatile")
    out = pd.DataFrame(rows, columns=list(QUALITY_CHECK_COLUMNS))
    out["passed"] = out["passed"].astype(bool)
    return out


def _fmt(x: Any, spec: str = ".3f") -> str:
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return "n/a"
    return format(x, spec)


def _rebuild_report(parts: dict[str, Any]) -> QualityReport:
    return QualityReport(**parts)


class QualityReport:
    """Quality of a segmentation, per segment and overall (see :func:`segment_quality`).

    Immutable: attributes cannot be set, and every table is returned as a copy.

    Attributes
    ----------
    segments : DataFrame
        One row per segment (index ``segment``): size, homogeneity, separation and,
        when their inputs were given, value, conversion, reach, stability and retention.
    overall : Series
        Global figures: ``n_customers``, ``n_segments``, ``r2`` (between / total inertia),
        ``calinski_harabasz``, ``davies_bouldin``, ``silhouette`` and its sample size, ...
    variables : DataFrame
        Per numeric variable: ``eta2`` (share of its variance explained by the segments).
    variance_ratio : DataFrame
        Segments x numeric variables: variance inside the segment over the base's.
    profile : DataFrame
        V-tests, one row per segment x numeric variable or categorical level.
    vtests : DataFrame
        The v-tests as a segments x features matrix (``variable`` or ``variable=level``).
    top_variables : DataFrame
        Per segment, the significant features with the largest ``|v_test|``.
    typical : DataFrame
        Per segment, the customers closest to its centre (``row``: position in X,
        ``customer``: X's index label).
    stability : StabilityResult or None
        Resampling stability, when it was computed.
    thresholds : mapping
        The thresholds the checks used.
    checks : DataFrame
        One row per segment x check: ``segment, check, value, threshold, passed, reason``.
    failures : DataFrame
        The failed rows of ``checks``.
    passed : bool
        Whether every check passed.
    """

    __slots__ = ("_parts",)
    _parts: dict[str, Any]

    def __init__(self, **parts: Any) -> None:
        object.__setattr__(self, "_parts", dict(parts))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"QualityReport is immutable; cannot set {name!r}.")

    def __reduce__(self) -> tuple[Any, ...]:  # pickle, copy and joblib go through __init__
        return (_rebuild_report, (self._parts,))

    def _get(self, name: str) -> Any:
        value = self._parts[name]
        return value.copy() if isinstance(value, pd.DataFrame | pd.Series) else value

    @property
    def segments(self) -> pd.DataFrame:
        return self._get("segments")

    @property
    def overall(self) -> pd.Series:
        return self._get("overall")

    @property
    def variables(self) -> pd.DataFrame:
        return self._get("variables")

    @property
    def variance_ratio(self) -> pd.DataFrame:
        return self._get("variance_ratio")

    @property
    def profile(self) -> pd.DataFrame:
        return self._get("profile")

    @property
    def vtests(self) -> pd.DataFrame:
        return self._get("vtests")

    @property
    def top_variables(self) -> pd.DataFrame:
        return self._get("top_variables")

    @property
    def typical(self) -> pd.DataFrame:
        return self._get("typical")

    @property
    def stability(self) -> StabilityResult | None:
        return self._parts["stability"]

    @property
    def thresholds(self) -> Mapping[str, Any]:
        return MappingProxyType(dict(self._parts["thresholds"]))

    @property
    def checks(self) -> pd.DataFrame:
        return self._get("checks")

    @property
    def failures(self) -> pd.DataFrame:
        checks = self._parts["checks"]
        return checks[~checks["passed"]].reset_index(drop=True)

    @property
    def passed(self) -> bool:
        return bool(self._parts["checks"]["passed"].all())

    def __repr__(self) -> str:
        ov = self._parts["overall"]
        checks = self._parts["checks"]
        return (f"QualityReport({int(ov['n_segments'])} segments, {int(ov['n_customers']):,} "
                f"customers, {int(checks['passed'].sum())}/{len(checks)} checks passed)")

    def to_frame(self) -> pd.DataFrame:
        """Tidy per-segment table: every metric, the top features, and the checks' outcome.

        Returns
        -------
        DataFrame
            One row per segment, column ``segment`` first, then the columns of
            ``segments``, ``top_variables`` (features joined with their v-tests, e.g.
            ``"recency (-12.3)"``), ``checks_failed`` (count) and ``passed``.
        """
        seg = self._parts["segments"].copy()
        top = self._parts["top_variables"]
        # formatted row by row: with no significant variable the columns are empty, and
        # pandas cannot add an empty float column to a str one
        labels = [f"{f} ({v:+.1f})" for f, v in
                  zip(top["feature"].tolist(), top["v_test"].tolist(), strict=True)]
        text = (top.assign(t=pd.Series(labels, index=top.index, dtype=object))
                .groupby("segment", sort=False, observed=True)["t"].agg(", ".join))
        seg["top_variables"] = text.reindex(seg.index).fillna("").to_numpy()
        checks = self._parts["checks"]
        failed = (~checks["passed"]).groupby(checks["segment"], sort=False).sum()
        seg["checks_failed"] = failed.reindex(seg.index).fillna(0).astype(int).to_numpy()
        seg["passed"] = seg["checks_failed"] == 0
        return seg.reset_index()

    def segment_names(self, max_terms: int = 3) -> pd.Series:
        """Name each segment in words, from what sets it apart (its top v-tests).

        Each of the segment's ``max_terms`` most significant features (``top_variables``,
        largest ``|v_test|`` first) gives a word: a numeric variable above the base's mean
        reads "high <variable>", below "low <variable>", with the marketing words for RFM
        (``recency_days``: "recent" below the mean, "lapsed" above; ``frequency``:
        "frequent" / "rare"; ``monetary``: "high spend" / "low spend"); an
        over-represented category reads
        "<variable> <level>" (under-represented ones are left out). A segment with no
        significant feature is "typical of the base". Names shared by two segments get the
        segment's label appended, so names stay unique.

        Returns
        -------
        Series
            Indexed by segment, e.g. ``"recent, frequent, high spend"``.
        """
        check_scalar("max_terms", max_terms, kind=int, low=1)
        top = self._parts["top_variables"]
        words: dict[Any, list[str]] = {}
        for row in top.sort_values(["segment", "rank"]).itertuples(index=False):
            terms = words.setdefault(row.segment, [])
            if len(terms) >= max_terms:
                continue
            up = row.v_test > 0
            if row.kind == "numeric":
                pair = _RFM_WORDS.get(str(row.variable),
                                      (f"high {row.variable}", f"low {row.variable}"))
                terms.append(pair[0] if up else pair[1])
            elif up:
                terms.append(f"{row.variable} {row.level}")
        index = self._parts["segments"].index
        names = pd.Series([", ".join(words.get(s, [])) or "typical of the base" for s in index],
                          index=index, name="name")
        dup = names.duplicated(keep=False)
        names[dup] = [f"{name} ({_segment_name(seg)})"
                      for seg, name in zip(names.index[dup], names[dup], strict=True)]
        return names

    def summary(self) -> Summary:
        """Return a printable summary (``str()``; rendered as HTML in Jupyter).

        Returns
        -------
        object
            With ``__str__`` (plain text) and ``_repr_html_`` (HTML tables): overall figures,
            the per-segment table and the failed checks.
        """
        ov = self._parts["overall"]
        checks = self._parts["checks"]
        metrics = [
            ("customers", f"{int(ov['n_customers']):,}"),
            ("segments", f"{int(ov['n_segments'])}"),
            ("numeric / categorical variables",
             f"{int(ov['n_numeric'])} / {int(ov['n_categorical'])}"),
            ("R² (between / total inertia)", _fmt(ov["r2"])),
            ("Calinski–Harabasz", _fmt(ov["calinski_harabasz"], ".1f")),
            ("Davies–Bouldin", _fmt(ov["davies_bouldin"])),
            ("silhouette", f"{_fmt(ov['silhouette'])} (on {int(ov['silhouette_sample_size']):,}"
                           f" customers)"),
        ]
        if "value_total" in ov:
            metrics.append(("value", _fmt(ov["value_total"], ",.2f")))
        if "conversion_rate" in ov:
            metrics.append(("conversion rate", _pct(ov["conversion_rate"])))
        if "reachable_share" in ov:
            metrics.append(("reachable", _pct(ov["reachable_share"])))
        if "stability_ari_runs" in ov:
            metrics.append(("stability: ARI between refits", _fmt(ov["stability_ari_runs"])))
        if "retention" in ov:
            metrics.append(("kept their segment", _pct(ov["retention"])))
        metrics.append(("checks passed", f"{int(checks['passed'].sum())} / {len(checks)}"))
        frame = self.to_frame()
        keep = [c for c in ("segment", "count", "share", "inertia_ratio", "separation",
                            "silhouette", "value_share", "value_index", "conversion_rate",
                            "reachable_share", "jaccard_mean", "retention", "checks_failed")
                if c in frame]
        seg = frame[keep].round(3)
        fails = self.failures[["segment", "check", "reason"]]
        tops = frame[["segment", "top_variables"]]
        return Summary(
            f"Segment quality: {int(ov['n_segments'])} segments",
            metrics,
            [("Segments", seg), ("Failed checks", fails), ("What sets each segment apart", tops)],
        )

    def plot(self, kind: str = "map", *, ax: Any = None, **kwargs: Any) -> Any:
        """Draw one view of the report and return its Axes.

        Parameters
        ----------
        kind : {"map", "profile", "stability"}, default "map"
            ``"map"``: segment size against value (:func:`~clientseg.plotting.plot_segment_map`);
            ``"profile"``: heatmap of v-tests
            (:func:`~clientseg.plotting.plot_segment_profile`); ``"stability"``: mean
            Jaccard per segment (:func:`~clientseg.plotting.plot_segment_stability`).
        ax : matplotlib Axes, optional
            Where to draw; a new figure when None.
        **kwargs
            Passed to the plotting function.

        Returns
        -------
        matplotlib.axes.Axes
        """
        from clientseg.quality import _plotting as plots
        check_options("kind", kind, _PLOT_KINDS)
        if kind == "map":
            return plots.plot_segment_map(self, ax=ax, **kwargs)
        if kind == "profile":
            return plots.plot_segment_profile(self, ax=ax, **kwargs)
        return plots.plot_segment_stability(self, ax=ax, **kwargs)
