"""geo_grid commands (to be filled)."""

from __future__ import annotations

from kaoping.cli.geo import geo_app, org_app  # noqa: F401
