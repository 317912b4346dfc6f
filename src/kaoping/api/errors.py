"""The one place where domain errors become HTTP answers.

Errors carry data and a Chinese message, never a status code; this module picks the code. API paths
get JSON (``{"detail": message, "error": kind}``); any other path gets the page the web layer
renders, when ``kaoping.app`` hands one in — the api package never imports the web package.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from kaoping.domain.calendar import CalendarYearMissingError
from kaoping.domain.cases import IllegalTransitionError, WorkflowError
from kaoping.domain.errors import (
    InvalidCoordinateError,
    InvalidGridCodeError,
    InvalidPeriodError,
    KaopingError,
    NotFoundError,
    OutsideGridError,
    UnknownCategoryError,
)
from kaoping.domain.facts import EvaluationError
from kaoping.services.cases import CaseAlreadyOpenError, CaseChangedError
from kaoping.services.evaluations import SchemeChoiceError
from kaoping.services.findings import FindingAlreadyRecordedError, FindingChangedError
from kaoping.services.intake import IntakeError

API_PREFIX = "/api/"
PAGE_NOT_FOUND = "未找到该页面或资源"

# Looked up along the error's class hierarchy, so a subclass inherits its parent's code.
STATUS_BY_ERROR: dict[type[KaopingError], int] = {
    NotFoundError: 404,
    InvalidPeriodError: 422,
    InvalidCoordinateError: 422,
    InvalidGridCodeError: 422,
    UnknownCategoryError: 422,
    OutsideGridError: 422,
    IntakeError: 422,
    WorkflowError: 422,  # a missing reason, photo or deadline, or an impossible time
    IllegalTransitionError: 409,  # not allowed from the case's status: the message names what is
    CaseChangedError: 409,
    CaseAlreadyOpenError: 409,
    FindingChangedError: 409,
    FindingAlreadyRecordedError: 409,
    CalendarYearMissingError: 422,
    EvaluationError: 422,  # an entry or a fact the scheme cannot score
    SchemeChoiceError: 422,  # no scheme, several, or a level it does not score: say which
    KaopingError: 400,
}


class ErrorOut(BaseModel):
    """The JSON body of every API error."""

    detail: str = Field(description="给用户看的中文说明", examples=["未找到考评结果: 2030Q1"])
    error: str = Field(description="错误类型", examples=["NotFoundError"])


ErrorPage = Callable[[Request, str, int], Response]
"""Renders an error for a person: (request, Chinese message, status code) → response."""


def status_for(error: KaopingError) -> int:
    """The HTTP status of a domain error."""
    for cls in type(error).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 400


def install_error_handlers(app: FastAPI, page: ErrorPage | None = None) -> None:
    """Answer domain errors (and unknown paths) in Chinese: JSON for the API, ``page`` elsewhere."""

    def answer(request: Request, message: str, status: int, kind: str) -> Response:
        if page is None or request.url.path.startswith(API_PREFIX):
            return JSONResponse(ErrorOut(detail=message, error=kind).model_dump(), status_code=status)
        return page(request, message, status)

    async def on_domain_error(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, KaopingError):  # registered for KaopingError only; keeps mypy honest
            raise exc
        return answer(request, exc.message, status_for(exc), type(exc).__name__)

    async def on_http_error(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, StarletteHTTPException):
            raise exc
        if exc.status_code != 404:  # FastAPI's own answer keeps headers such as Allow on a 405
            return await http_exception_handler(request, exc)
        message = PAGE_NOT_FOUND if exc.detail == "Not Found" else str(exc.detail)
        return answer(request, message, 404, "NotFound")

    app.add_exception_handler(KaopingError, on_domain_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
