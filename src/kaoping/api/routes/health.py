"""Liveness: answers without touching the database, so it stays cheap for load balancers."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from kaoping import __version__

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    version: str


@router.get("/health", summary="服务存活检查")
async def health() -> Health:
    return Health(status="ok", version=__version__)
