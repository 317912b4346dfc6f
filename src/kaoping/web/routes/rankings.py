"""The ranking page: each evaluation group's table and bar chart for one period."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse

from kaoping.db.rankings import SqlRankingReader
from kaoping.services.rankings import RankingReader, latest_ranking, period_ranking
from kaoping.web.pages import render

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


async def ranking_reader(request: Request) -> RankingReader:
    return SqlRankingReader(request.app.state.engine)


Reader = Annotated[RankingReader, Depends(ranking_reader)]


@router.get("/")
def latest_ranking_page(request: Request, reader: Reader) -> Response:
    # No scores yet is a normal state of a new installation: say so, with 200.
    return render(request, "rankings.html", {"ranking": latest_ranking(reader)})


@router.get("/rankings/{period}")
def period_ranking_page(request: Request, reader: Reader, period: str) -> Response:
    return render(request, "rankings.html", {"ranking": period_ranking(reader, period)})
