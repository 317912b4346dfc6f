"""The one FastAPI application: JSON API under /api/v1, the dashboard, its static assets.

Run with ``uvicorn --factory kaoping.app:create_app``. The database is not migrated here: several
workers starting at once must not race to change the schema (``kaoping`` commands do that).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from kaoping import __version__, api, web
from kaoping.api.errors import install_error_handlers
from kaoping.db.engine import make_engine
from kaoping.settings import Settings, get_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application for ``settings`` (default: from the environment and ``.env``)."""
    settings = settings or get_settings()
    engine = make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

    app = FastAPI(
        title="考评 Kaoping",
        summary="城市管理综合考评: 排名、得分与数据接口",
        version=__version__,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.mount("/static", StaticFiles(directory=web.STATIC_DIR), name="static")
    app.include_router(api.router)
    app.include_router(web.router)
    install_error_handlers(app, page=web.render_error_page)
    return app
