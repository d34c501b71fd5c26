"""Synthetic customer bases whose truth is known: segments, purchase behaviour, conversion.

:func:`make_customer_base` draws a whole base at once: customers with criteria of the four
families of the marketing literature (socio-demographic, psychographic, behavioural and,
through their transactions, consumption), the invoice lines they bought, a pool of contacts
whose conversion follows a logistic model with known coefficients, and the truth behind it
all. Tests, notebooks and benchmarks of clientseg run on it, because a method can only be
shown right against a truth it did not see.

The generative model is written out in ``docs/user_guide/synth.md``; the segment parameters
are in :data:`SEGMENT_PARAMETERS` and the conversion model in :data:`CONVERSION_MODEL`.

Randomness is drawn per block of 10,000 customers (or contacts) from seeds spawned from
``random_state``, so a base depends only on ``(n_customers, n_segments, start, end,
n_contacts, random_state, messy)``: ``chunk_size`` changes the memory used, never the data.
:func:`write_customer_base` writes a base larger than memory to Parquet, chunk by chunk.
"""

from clientseg.synth._base import (  # noqa: F401  (constants kept on the public path)
    CONVERSION_MODEL,
    CRITERIA,
    GENDERS,
    INCOME_BANDS,
    INTERESTS,
    LEAD_ORIGINS,
    LIFESTYLES,
    OCCUPATIONS,
    REGIONS,
    SEGMENT_PARAMETERS,
    BaseChunk,
    CustomerBase,
    GroundTruth,
    iter_customer_base,
    make_customer_base,
)
from clientseg.synth._parquet import ParquetBase, write_customer_base

__all__ = [
    "CONVERSION_MODEL",
    "CRITERIA",
    "SEGMENT_PARAMETERS",
    "BaseChunk",
    "CustomerBase",
    "GroundTruth",
    "ParquetBase",
    "iter_customer_base",
    "make_customer_base",
    "write_customer_base",
]
