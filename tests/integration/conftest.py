"""Integration fixtures: the API tests' app factories, shared here too."""

from __future__ import annotations

from tests.api.conftest import make_client, make_settings

__all__ = ["make_client", "make_settings"]
