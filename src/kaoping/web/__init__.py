"""The server-rendered dashboard. ``kaoping.app`` mounts ``router``, ``STATIC_DIR`` at /static and
hands ``render_error_page`` to the API's error handlers."""

from fastapi import APIRouter

from kaoping.web.pages import STATIC_DIR, render_error_page
from kaoping.web.routes import rankings, report

router = APIRouter()
router.include_router(rankings.router)
router.include_router(report.router)

__all__ = ["STATIC_DIR", "render_error_page", "router"]
