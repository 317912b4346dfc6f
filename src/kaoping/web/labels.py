"""Every display string of the dashboard chrome, per language (data such as names comes from the DB).

zh-CN is the default; English is there so a second language stays a matter of adding a table.
"""

from __future__ import annotations

from typing import Final

DEFAULT_LANGUAGE: Final = "zh-CN"

LABELS: Final[dict[str, dict[str, str]]] = {
    "zh-CN": {
        "html_lang": "zh-CN",
        "site": "考评",
        "title": "城市管理综合考评 排名",
        "period": "考评周期",
        "rank": "名次",
        "unit": "区县",
        "total": "总分",
        "rank_change": "名次变化",
        "items_top3": "前三项数",
        "items_bottom3": "后三项数",
        "no_previous": "—",
        "no_change": "持平",
        "chart_title": "总分",
        "table_caption": "{group}排名",
        "empty": "尚无考评结果, 请先运行 kaoping demo 或 kaoping score",
        "error_title": "出错了",
        "back_home": "返回最新排名",
        "legend": "名次变化为较上期上升 (↑, 红色) 或下降 (↓, 绿色) 的名次; "
        "前三项数 / 后三项数: 单项得分位列本组前三 / 后三名的项目数。",
        "footer": "考评 Kaoping · 城市管理综合考评",
        "api": "数据接口",
    },
    "en": {
        "html_lang": "en",
        "site": "Kaoping",
        "title": "City-management evaluation rankings",
        "period": "Period",
        "rank": "Rank",
        "unit": "District",
        "total": "Total",
        "rank_change": "Change",
        "items_top3": "Items in top 3",
        "items_bottom3": "Items in bottom 3",
        "no_previous": "—",
        "no_change": "same",
        "chart_title": "Total",
        "table_caption": "{group} ranking",
        "empty": "No evaluation results yet: run kaoping demo or kaoping score first",
        "error_title": "Something went wrong",
        "back_home": "Back to the latest ranking",
        "legend": "Change: places gained (↑, red) or lost (↓, green) since the previous period; "
        "items in top 3 / bottom 3: how many items the district scored among the group's best / worst three.",
        "footer": "Kaoping · city-management comprehensive evaluation",
        "api": "JSON API",
    },
}


def labels_for(language: str | None) -> dict[str, str]:
    """The labels of ``language``, falling back to zh-CN for anything unknown."""
    return LABELS.get(language or DEFAULT_LANGUAGE, LABELS[DEFAULT_LANGUAGE])
