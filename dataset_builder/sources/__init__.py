"""Pluggable cry sources: ``pokeapi`` (default), ``pokebip`` and ``folder``, behind one interface."""

from .base import SOURCES, Source, SourceError, make_source

__all__ = ["SOURCES", "Source", "SourceError", "make_source"]
