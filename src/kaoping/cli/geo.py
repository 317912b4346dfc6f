"""`kaoping geo …` and `kaoping org …`: geography and organisation from real data."""

from __future__ import annotations

import typer

from kaoping.cli.main import app

geo_app = typer.Typer(help="地理数据: 边界与道路导入、检查、网格生成", no_args_is_help=True)
org_app = typer.Typer(help="组织与人员: 花名册导入、网格员/路长/社区主任到位情况", no_args_is_help=True)
app.add_typer(geo_app, name="geo")
app.add_typer(org_app, name="org")
