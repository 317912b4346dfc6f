"""The JSON API under /api/v1 (OpenAPI at /docs). ``kaoping.app`` mounts ``router``."""

from fastapi import APIRouter

from kaoping.api.routes import cases, evaluations, findings, health, problems, rankings

router = APIRouter(prefix="/api/v1")
router.include_router(health.router)
router.include_router(rankings.router)
router.include_router(problems.router)
router.include_router(cases.router)
router.include_router(findings.router)
router.include_router(evaluations.router)

__all__ = ["router"]
