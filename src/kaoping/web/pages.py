"""Rendering pages: the Jinja2 environment, the labels of the request's language, error pages."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import Request, Response
from fastapi.templating import Jinja2Templates

from kaoping.domain.scoring import to_points
from kaoping.web.labels import labels_for

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

templates = Jinja2Templates(directory=TEMPLATES_DIR)
# Points are shown as exact hundredths; Jinja's own number formatting would go through float.
templates.env.filters["points"] = lambda value: str(to_points(Decimal(value)))


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    """Render ``name`` with the labels of the request's language (``?lang=``, else the setting)."""
    settings = getattr(request.app.state, "settings", None)
    language = request.query_params.get("lang") or getattr(settings, "language", None)
    return templates.TemplateResponse(
        request, name, {"t": labels_for(language), **context}, status_code=status_code
    )


def render_error_page(request: Request, message: str, status_code: int) -> Response:
    """The page a person sees for a domain error or an unknown path; ``message`` is Chinese."""
    return render(request, "error.html", {"message": message, "status_code": status_code}, status_code)
