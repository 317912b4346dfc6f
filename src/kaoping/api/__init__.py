"""The JSON API under /api/v1 (OpenAPI at /docs). ``kaoping.app`` mounts ``router``."""

from fastapi import APIRouter

from kaoping.api.routes import health, rankings

router = APIRouter(prefix="/api/v1")
router.include_router(health.router)
router.include_router(rankings.router)

__all__ = ["router"]
