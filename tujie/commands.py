"""Subcommands of ``render.py`` beyond building: each a thin wrapper over the library."""

from __future__ import annotations
