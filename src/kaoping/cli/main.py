"""The `kaoping` command. Commands parse their options, call one service and print the result."""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from functools import wraps
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from kaoping.db import migrate
from kaoping.db.engine import make_engine
from kaoping.domain.errors import KaopingError
from kaoping.settings import Settings, get_settings

app = typer.Typer(
    help="考评 Kaoping: 城市管理综合考评与数字城管案件闭环",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="数据库结构迁移 (Alembic)", no_args_is_help=True)
app.add_typer(db_app, name="db")
console = Console()
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])


def reports_errors(func: F) -> F:
    """Print a KaopingError as its Chinese message and exit 1, instead of a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except KaopingError as err:
            err_console.print(f"[bold red]错误:[/] {err.message}")
            raise typer.Exit(1) from err

    return wrapper  # type: ignore[return-value]


@contextmanager
def engine_for(settings: Settings) -> Iterator[Any]:
    engine = make_engine(settings.database_url)
    try:
        yield engine
    finally:
        engine.dispose()


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """把数据库结构升级到最新 (或指定版本)."""
    with engine_for(get_settings()) as engine:
        migrate.upgrade(engine, revision)
    console.print(f"数据库已升级到 {revision}")


@db_app.command("downgrade")
def db_downgrade(revision: str = "base") -> None:
    """把数据库结构降级到指定版本 (默认 base: 删除全部表)."""
    with engine_for(get_settings()) as engine:
        migrate.downgrade(engine, revision)
    console.print(f"数据库已降级到 {revision}")


@db_app.command("check")
def db_check() -> None:
    """检查迁移脚本与代码中的表结构是否一致."""
    with engine_for(get_settings()) as engine:
        migrate.upgrade(engine)
        migrate.check(engine)
    console.print("迁移与表结构一致")


def main() -> None:  # pragma: no cover - console entry point
    sys.exit(app())


def parse_time(value: str | None, settings: Settings) -> datetime:
    """An ISO time typed by a user, in the business timezone when it carries none."""
    if value is None:
        return datetime.now(settings.tz)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise KaopingError(f"时间 {value!r} 无法识别, 请使用 2025-03-05 或 2025-03-05T09:30 格式") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=settings.tz)


def parse_date(value: str | None, option: str = "") -> date | None:
    """A date typed by a user (2025-03-01), or None when none was given."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        label = f"{option} " if option else ""
        raise KaopingError(f"{label}日期 {value!r} 无法识别, 请使用 2025-03-01 格式") from None


def print_json(data: Any) -> None:
    """Dataclasses as objects, Decimals as exact strings, enums as their values."""
    if dataclasses.is_dataclass(data) and not isinstance(data, type):
        data = dataclasses.asdict(data)
    console.print_json(json.dumps(data, ensure_ascii=False, default=str))


Json = Annotated[bool, typer.Option("--json", help="以 JSON 输出")]

from kaoping.cli import (  # noqa: E402,F401  (commands register on import)
    calendar,
    cases,
    demo,
    evaluation_entries,
    evaluations,
    findings,
    geo,
    geo_grid,
    geo_import,
    org,
    problem_import,
    problems,
    schemes,
    scores,
)
