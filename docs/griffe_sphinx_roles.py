"""Griffe extension for the API pages: render Sphinx roles as plain code.

The docstrings cross-reference with Sphinx roles (``:class:`~clientseg.cut.CutResult```),
which mkdocstrings would print verbatim. This turns each role into inline code, keeping the
last dotted part when the target starts with ``~`` (as Sphinx does).
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(
    r":(?:py:)?(?:class|func|meth|attr|data|mod|exc|obj|const):`(~?)([^`]+)`"
)


def _plain(match: re.Match[str]) -> str:
    target = match[2].rsplit(".", 1)[-1] if match[1] else match[2]
    return f"`{target}`"


class SphinxRoles(griffe.Extension):
    """Rewrite Sphinx roles in every docstring griffe loads."""

    def on_instance(self, *, obj: Any, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = _ROLE.sub(_plain, obj.docstring.value)
