"""Shared plumbing under every concept package.

Input validation, dataframe engines, printed summaries, the plot style and the library's
version. Nothing here imports a concept package; every concept package may import from here.
"""
