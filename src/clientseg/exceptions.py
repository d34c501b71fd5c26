"""Errors and warnings raised by clientseg.

Every error subclasses :class:`ClientsegError`, itself a :class:`ValueError`, so code that
already catches ``ValueError`` around a data-science call keeps working. Every warning
subclasses :class:`ClientsegWarning` (a :class:`UserWarning`), so one filter silences or
escalates all of them::

    import warnings
    import clientseg as cs
    warnings.simplefilter("error", cs.exceptions.ClientsegWarning)

Messages follow one pattern: the parameter, the column, the problem, a count, and the fix.
"""

from __future__ import annotations

from sklearn.exceptions import ConvergenceWarning as _SklearnConvergenceWarning

__all__ = [
    "ClientsegError",
    "ClientsegWarning",
    "ConvergenceWarning",
    "DataQualityWarning",
    "EmptyDataError",
    "InvalidDataError",
    "InvalidDocumentError",
    "InvalidParameterError",
    "MissingColumnsError",
    "SeparationWarning",
    "TiedValuesWarning",
    "UnreachableTargetWarning",
]


class ClientsegError(ValueError):
    """Base class of every error raised by clientseg on bad input."""


class MissingColumnsError(ClientsegError):
    """Columns named by parameters are absent from the frame (all of them listed at once)."""


class EmptyDataError(ClientsegError):
    """A frame or array has no rows (or no usable rows once exclusions are applied)."""


class InvalidDataError(ClientsegError):
    """Values in the data break a requirement: NaN, inf, wrong dtype, unparseable dates..."""


class InvalidParameterError(ClientsegError):
    """A parameter has a value outside what the function accepts."""


class InvalidDocumentError(InvalidDataError, InvalidParameterError):
    """A saved document (a scorecard's JSON) breaks its schema; the message names the path.

    Both an :class:`InvalidDataError` (the document's values) and an
    :class:`InvalidParameterError` (the ``document`` parameter).
    """


class ClientsegWarning(UserWarning):
    """Base class of every warning issued by clientseg."""


class DataQualityWarning(ClientsegWarning):
    """Rows were excluded or converted under a documented policy (they are also counted)."""


class TiedValuesWarning(ClientsegWarning):
    """Tied values leave fewer distinct scores or bands than were asked for."""


class ConvergenceWarning(ClientsegWarning, _SklearnConvergenceWarning):
    """An iterative fit stopped before meeting its convergence criterion.

    It subclasses scikit-learn's ``ConvergenceWarning`` too, whose name it borrows, so a
    filter written for scikit-learn's warning catches clientseg's as well.
    """


class UnreachableTargetWarning(ClientsegWarning):
    """A target (a grade's conversion rate) cannot be met on the data; the result says how."""


class SeparationWarning(ClientsegWarning):
    """A level or band perfectly (or nearly) separates the outcome; its estimate is unstable."""
