"""What a fitted scorecard gives back: evaluation, drift, JSON and SQL export, summary, plots.

:class:`CardOutputs` holds the methods of :class:`~clientseg.LogisticScorecard` that read a
fitted card and produce something from it; the fit and the scoring live in ``_card.py``.
"""

from __future__ import annotations

from typing import Any

from scipy.special import expit
from sklearn.utils.validation import check_is_fitted

from clientseg._core.validation import check_scalar
from clientseg.exceptions import InvalidParameterError
from clientseg.scorecard import _export
from clientseg.scorecard._report import ScorecardReport, ScoreDrift, drift

__all__: list[str] = []  # private module


class CardOutputs:
    """Evaluation, drift, export, summary and plots of a fitted LogisticScorecard."""

    # what LogisticScorecard defines or sets in fit (declared for the type checker)
    _criteria: Any
    _scale: Any
    _encode: Any
    _total: Any
    _eta_exact: Any
    _outcome: Any
    scaling: str
    ridge: float
    criteria_: list[str]
    base_points_: float
    typical_points_: float
    n_iter_: int
    converged_: bool
    rounding_auc_loss_: float
    weights_: Any
    points_: Any
    grade_table_: Any

    # ------------------------------------------------------------------ evaluation

    def evaluate(self, X: Any, y: Any) -> ScorecardReport:
        """AUC, Gini, KS, gains by decile, Brier score and reliability on contacts ``X``.

        Parameters
        ----------
        X : DataFrame or array-like
            Contacts with the criteria columns (hold-out contacts, ideally).
        y : array-like of 0/1
            Their outcomes.

        Returns
        -------
        ScorecardReport

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from clientseg import LogisticScorecard
        >>> rng = np.random.default_rng(0)
        >>> X = pd.DataFrame({"visits": rng.poisson(3, 3000),
        ...                   "origin": rng.choice(["web", "fair", "ad"], 3000)})
        >>> y = rng.random(3000) < 0.05 + 0.04 * X["visits"].clip(0, 8)
        >>> card = LogisticScorecard().fit(X, y)
        >>> report = card.evaluate(X, y)
        >>> 0.5 < report.auc < 1 and report.gini == 2 * report.auc - 1
        True
        >>> list(report.gains.columns[:3])
        ['decile', 'contacts', 'converted']
        """
        codes = self._encode(X)
        scores = self._total(codes)
        yy = self._outcome(y, len(scores))
        proba = expit(self._scale.log_odds(scores))
        return ScorecardReport.compute(scores, proba, yy, exact=self._eta_exact(codes))

    def psi(self, X_then: Any, X_now: Any, *, n_bins: int = 10) -> ScoreDrift:
        """Score drift between two periods: the PSI of the scores and of each criterion.

        Below 0.1 the population is stable, 0.1 to 0.25 it moved moderately, above 0.25
        the scorecard should be reviewed (weights revisited on recent contacts).

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from clientseg import LogisticScorecard
        >>> rng = np.random.default_rng(0)
        >>> X = pd.DataFrame({"visits": rng.poisson(3, 3000),
        ...                   "origin": rng.choice(["web", "fair", "ad"], 3000)})
        >>> y = rng.random(3000) < 0.05 + 0.04 * X["visits"].clip(0, 8)
        >>> card = LogisticScorecard().fit(X, y)
        >>> drift = card.psi(X.iloc[:1500], X.iloc[1500:])
        >>> drift.status
        'stable'
        """
        check_scalar("n_bins", n_bins, kind=int, low=2)
        codes_t = self._encode(X_then)
        codes_n = self._encode(X_now)
        k = {c.name: c.n_levels for c in self._criteria}
        return drift(self._total(codes_t), self._total(codes_n),
                     {n: (c, k[n]) for n, c in zip(self.criteria_, codes_t, strict=True)},
                     {n: (c, k[n]) for n, c in zip(self.criteria_, codes_n, strict=True)},
                     n_bins=n_bins)

    # ------------------------------------------------------------------ export

    def to_json(self, path: Any = None) -> str:
        """Export the fitted scorecard as a JSON document (schema in the user guide; no pickle).

        Parameters
        ----------
        path : str or Path, optional
            Also write the document to this file.

        Returns
        -------
        str
        """
        check_is_fitted(self)
        text = _export.to_json(self)
        if path is not None:
            from pathlib import Path

            target = Path(path)
            try:
                target.write_text(text, encoding="utf-8")
            except OSError as exc:  # a folder, a missing folder, no permission...
                raise InvalidParameterError(
                    f"Parameter 'path' ({str(target)!r}) cannot be written: "
                    f"{exc.strerror or exc}. Pass the path of a file in an existing folder "
                    f"you can write to (e.g. 'card.json')."
                ) from None
        return text

    @classmethod
    def from_json(cls, document: Any) -> Any:
        """Rebuild a fitted scorecard from :meth:`to_json`'s document (text, dict or path).

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from clientseg import LogisticScorecard
        >>> rng = np.random.default_rng(0)
        >>> X = pd.DataFrame({"visits": rng.poisson(3, 3000),
        ...                   "origin": rng.choice(["web", "fair", "ad"], 3000)})
        >>> y = rng.random(3000) < 0.05 + 0.04 * X["visits"].clip(0, 8)
        >>> card = LogisticScorecard().fit(X, y)
        >>> again = LogisticScorecard.from_json(card.to_json())
        >>> again.points(X).equals(card.points(X))
        True
        """
        return _export.from_json(cls, document)

    def to_sql(self, *, table: str, id_col: str | None = None, suffix: str = "_points",
               score_col: str = "score", grade_col: str | None = None) -> str:
        """Write a ``SELECT`` computing every contact's points per criterion and total in SQL.

        ``SELECT <id_col>, <CASE per criterion> AS <criterion><suffix>, <total> AS score
        FROM <table>``. Identifiers are double-quoted and category literals single-quoted,
        with embedded quotes doubled, so any name or category is safe. Run in DuckDB or
        SQLite (and other ANSI databases) it returns exactly :meth:`points`; unseen values
        get the points ``handle_unseen`` gives them (NULL with ``"error"``). With
        ``grade_col="grade"`` the query is wrapped to add each contact's grade, equal to
        :meth:`grade`.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from clientseg import LogisticScorecard
        >>> rng = np.random.default_rng(0)
        >>> X = pd.DataFrame({"visits": rng.poisson(3, 3000),
        ...                   "origin": rng.choice(["web", "fair", "ad"], 3000)})
        >>> y = rng.random(3000) < 0.05 + 0.04 * X["visits"].clip(0, 8)
        >>> card = LogisticScorecard().fit(X, y)
        >>> import sqlite3
        >>> con = sqlite3.connect(":memory:")
        >>> _ = X.rename_axis("contact_id").reset_index().to_sql("contacts", con)
        >>> sql = card.to_sql(table="contacts", id_col="contact_id")
        >>> scores = [row[-1] for row in con.execute(sql)]
        >>> scores == card.points(X).tolist()
        True
        """
        check_is_fitted(self)
        return _export.to_sql(self, table=table, id_col=id_col, suffix=suffix,
                              score_col=score_col, grade_col=grade_col)

    def summary(self) -> Any:
        """Return a printable summary of the card (``str``; HTML in Jupyter).

        The fit (contacts, conversions, Newton steps, rounding loss), the weights, the
        points table in both presentations and the grade table.
        """
        check_is_fitted(self)
        from clientseg._core.summary import Summary

        first = self._criteria[0]
        n, e = int(first.counts.sum()), int(first.events.sum())
        metrics = [
            ("contacts", f"{n:,}"), ("converted", f"{e:,} ({e / n:.2%})"),
            ("criteria", f"{len(self.criteria_)}"),
            ("scaling", f"{self.scaling} (base points {self.base_points_:g}, typical "
                        f"contact {self.typical_points_:g})"),
            ("fit", f"{self.n_iter_} Newton steps, converged: {self.converged_}, "
                    f"ridge {self.ridge}"),
            ("AUC lost to rounding", f"{self.rounding_auc_loss_:.5f}"),
        ]
        weights = self.weights_.reset_index().round(2)
        cols = ["criterion", "level", "points", "points_vs_typical", "contacts",
                "conversion_rate"]
        return Summary("Logistic scorecard", metrics, [
            ("Weights (% of the points)", weights),
            ("Points", self.points_[cols].round(4)),
            ("Grades (training contacts)", self.grade_table_.round(4)),
        ])

    # ------------------------------------------------------------------ plots

    def plot_points(self, *, ax: Any = None, **kwargs: Any) -> Any:
        """Bar chart of points per criterion and level (delegates to plotting)."""
        from clientseg.scorecard._plotting import plot_scorecard_points

        return plot_scorecard_points(self, ax=ax, **kwargs)

    def plot_weights(self, *, ax: Any = None, **kwargs: Any) -> Any:
        """Bar chart of the criterion weights (delegates to plotting)."""
        from clientseg.scorecard._plotting import plot_scorecard_weights

        return plot_scorecard_weights(self, ax=ax, **kwargs)
