"""A printable summary shared by the result objects (``summary()`` returns one).

Plain text for ``print`` and the terminal, HTML for Jupyter (``_repr_html_``), as
statsmodels' summaries do: a title, a block of named figures, then tables.
"""

from __future__ import annotations

import html

import pandas as pd

__all__: list[str] = []


class Summary:
    """Plain-text and HTML rendering of a title, a metrics block and tables."""

    def __init__(self, title: str, metrics: list[tuple[str, str]],
                 tables: list[tuple[str, pd.DataFrame]]) -> None:
        self.title = title
        self.metrics = metrics
        self.tables = tables

    def __str__(self) -> str:
        width = max((len(k) for k, _ in self.metrics), default=0)
        lines = [self.title, "=" * len(self.title)]
        lines += [f"{k:<{width}}  {v}" for k, v in self.metrics]
        for name, table in self.tables:
            body = table.to_string(index=False) if len(table) else "(none)"
            lines += ["", name, "-" * len(name), body]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.__str__()

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
            for k, v in self.metrics
        )
        parts = [f"<h4>{html.escape(self.title)}</h4>", f"<table>{rows}</table>"]
        for name, table in self.tables:
            body = table.to_html(index=False) if len(table) else "<p>(none)</p>"
            parts += [f"<h5>{html.escape(name)}</h5>", body]
        return "".join(parts)
