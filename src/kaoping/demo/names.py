"""Deterministic, plausible Chinese names for the demo city: units, roads, departments and people.

Every name is drawn from a numpy generator handed in by the caller, so one seed gives one city. The
word lists are ordinary words that many Chinese cities use (文化路, 和平社区, 王家村); the city itself,
青川市, and its district names are made up.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


CITY_NAME = "青川市"
CITY_SHORT = "青川"
CENTRAL_DISTRICT = "市中区"  # what many cities call their old centre

DISTRICT_ROOTS = _words(
    "历山 泉城 明湖 华阳 千佛 鹊华 舜耕 龙泉 汇泉 东岳 西河 北湖 南山 玉函 锦屏 "
    "凤鸣 金鸡 卧牛 济水 清源 白云 云亭 双龙 望岳"
)
COUNTY_ROOTS = _words("青河 平川 临溪 柳泉 石门 云台 长河 丰原")

PLACE_ROOTS = _words(
    "文化 和平 建设 解放 人民 新华 胜利 幸福 光明 团结 朝阳 东风 工业 长江 黄河 "
    "泰山 大明 燕山 英雄 山水 青年 振兴 兴隆 民生 民主 共青 红旗 五一 七里 十里 "
    "三里 石门 金牛 白马 凤凰 龙山 玉泉 清河 北园 南苑 西关 东关 南关 北关 工商 "
    "商埠 匡山 药山 标山 二环 城南 城北 滨河 临河 观澜 明珠 春晖 朝晖 曙光 晨光 "
    "阳光 卧龙 翠屏 锦绣 瑞园 福泉 安康 永安 长安 宁远 顺河 兴华 经纬 奥体 珍珠 "
    "黑虎 五龙 柳泉 芙蓉 荷花 海棠 杏园 梨园 桃园 枣园 松林 竹园 梧桐 银杏 玉兰 "
    "丁香 紫薇 牡丹 兰亭 书院 学府 文庙 府前 县西 铁路 机场 车站 纬北 经北 历阳 "
    "青阳 泉源 聚贤 尚德 崇文 育英 启明 新民 民康 康平 安平 太平 和谐 仁和 义和 "
    "祥和 泰和 嘉和 永和 世纪 环城 开元 天成 宏图 花园 洪楼 甸柳 姚家 智远 龙洞 "
    "燕翅 全福 华信 丁家 祝甸 盛福 荷香 金鼎 银丰 泺源 舜华"
)
FIRST_CHARS = (
    "文和建新胜幸光团朝东工长黄泰泉大舜燕华鹊玉英山花青振兴民红"
    "金白凤龙清北南西锦瑞福安永宁顺昌盛隆丰康泽润嘉明德善仁义"
)
SECOND_CHARS = "化平设华利福明阳风业江河山城耕湖源泉园苑林兴安康宁顺德盛隆丰泽润庄桥门关坊亭"

TOWN_SUFFIXES = _words("家集 家店 家庄 庄 桥 屯 寨 营 坊 官庄 家湖 集 口 店 埠")
NATURE_ROOTS = _words(
    "青山 柳河 石门 白泉 龙湾 凤岭 桃源 杏花 梨园 松岭 云台 双泉 三河 五里 黄岗 "
    "红石 金沙 银河 玉峰 翠岭 清溪 仙台 灵岩 马鞍 卧虎 莲花 荷塘 古城 双庙 万德 "
    "崮山 锦川 仲山 西营 柳埠 高而 彩石 唐王 遥墙 孙村 港沟"
)
COMMUNITY_ROOTS = _words(
    "和平 幸福 阳光 锦绣 翠园 龙湖 紫荆 玉兰 丁香 海棠 银杏 梧桐 柳园 桃园 杏林 "
    "枫林 松园 竹园 荷花 芙蓉 金桥 银座 泉景 山水 绿景 佳苑 锦苑 华苑 怡园 康居 "
    "安居 乐居 新居 盛景 御景 名都 滨河 临湖 望山 西苑 东苑 南苑 北苑 文苑 学苑 "
    "书香 雅居 颐和 馨园 景园 明珠 丽景 康乐 祥和 永安 民安 新城 老街 府前 大观 "
    "鸿福 瑞景 嘉园 华庭 雅园 燕子 青龙 白鹤 凤鸣 鹊华 舜华 千佛 历山 泉城 文化 "
    "建设 解放 人民 工人 二七 五里 七里 十里 三里 北园 南园 东园 西园 铁路 电力 "
    "纺织 机床 钢城 化工 农机 甸柳 燕山 姚家 洪楼 山大 花园 历阳 百花 金鸡"
)
COMMUNITY_SUFFIXES = ("社区",) * 6 + ("里社区", "苑社区", "花园社区", "新村社区", "家园社区")
VILLAGE_PATTERNS = ("{s}家村",) * 4 + (
    "{s}庄村",
    "{s}官庄村",
    "{s}家寨村",
    "{s}家洼村",
    "{s}家峪村",
    "{d}{s}家村",
)
DIRECTIONS = "东西南北前后"
UNIQUE_PREFIXES = "新东西南北前后大小上下"

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN_CHARS = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚英华玉兰萍红建国志文斌海波宁辉鹏飞俊峰婷雪梅琳晨浩宇欣怡佳颖"
    "涵思雨博轩鸣嘉睿泽凯昊然子梓晓东春秋冬立新庆永德福金山林松青彬荣振兴成利民云凤莉燕蕾琪倩慧璐洁晶桂香珍"
    "淑丹亮坤鑫阳帅健凡悦航铭瑶璇"
)

DEPARTMENT_NAMES: dict[str, tuple[str, str]] = {
    # field code: (the city-level department, a district bureau — "{d}" is the district's name)
    "sanitation": ("市城市管理局环卫处", "{d}环卫中心"),
    "landscaping": ("市园林绿化局", "{d}园林绿化中心"),
    "municipal": ("市市政工程管理处", "{d}市政工程管理中心"),
    "enforcement": ("市城市管理综合执法支队", "{d}综合行政执法局"),
    "water": ("市水务局", "{d}水务局"),
    "transport": ("市交通运输局", "{d}交通运输局"),
    "traffic_police": ("市公安局交通警察支队", "市公安局交通警察支队{d}大队"),
    "housing": ("市住房和城乡建设局", "{d}住房和城乡建设局"),
    "market": ("市市场监督管理局", "{d}市场监督管理局"),
    "ecology": ("市生态环境局", "市生态环境局{d}分局"),
    "power": (f"国网{CITY_SHORT}供电公司", f"国网{CITY_SHORT}供电公司{{d}}供电中心"),
    "telecom": ("市通信发展管理办公室", "{d}通信设施维护中心"),
    "gas": ("市燃气集团有限公司", "市燃气集团{d}分公司"),
    "heating": ("市热力集团有限公司", "市热力集团{d}分公司"),
}


def department_name(field: str, district_name: str | None) -> str:
    """The department of ``field`` for the whole city (no district) or for one district."""
    city_level, district_level = DEPARTMENT_NAMES[field]
    return city_level if district_name is None else district_level.format(d=district_name)


class NameBook:
    """Draws names from one generator; callers pass the set of names already taken in the scope
    where names must be unique (the city, a district, a town)."""

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        ranks = np.arange(len(SURNAMES), dtype=np.float64)
        # Chinese surnames are very unequal: 王, 李, 张 alone cover a fifth of people.
        self._surname_p = 1.0 / (ranks + 4.0)
        self._surname_p /= self._surname_p.sum()

    def districts(self, districts: int, counties: int) -> list[str]:
        """Names for the districts, central first (市中区), then the counties."""
        roots = self._rng.permutation(DISTRICT_ROOTS)[: max(districts - 1, 0)]
        names = [CENTRAL_DISTRICT, *[f"{r}区" for r in roots]][:districts]
        return names + [f"{r}县" for r in self._rng.permutation(COUNTY_ROOTS)[:counties]]

    def street(self, taken: set[str]) -> str:
        """A 街道: 文化路街道, 和平街道."""
        suffix = self._pick(("街道", "路街道", "路街道", "门街道", "里街道"))
        return self._unique(lambda: self._place_root() + suffix, taken)

    def town(self, taken: set[str]) -> str:
        """A 镇: 孙家集镇, 柳河镇."""
        if self._rng.random() < 0.5:
            return self._unique(lambda: self._pick(NATURE_ROOTS) + "镇", taken)
        return self._unique(lambda: self._surname() + self._pick(TOWN_SUFFIXES) + "镇", taken)

    def community(self, taken: set[str]) -> str:
        """A 社区: 和平社区, 玉兰花园社区."""
        return self._unique(lambda: self._pick(COMMUNITY_ROOTS) + self._pick(COMMUNITY_SUFFIXES), taken)

    def village(self, taken: set[str]) -> str:
        """A 村: 王家村, 东李家村."""

        def draw() -> str:
            return self._pick(VILLAGE_PATTERNS).format(s=self._surname(), d=self._pick(DIRECTIONS))

        return self._unique(draw, taken)

    def road_root(self, taken: set[str]) -> str:
        """The stem of a road name (文化 → 文化路, 文化东路, 文化大道)."""
        return self._unique(self._place_root, taken)

    def people(self, count: int) -> list[str]:
        """``count`` personal names (surname + one or two given characters); repeats happen, as in life."""
        surnames = self._rng.choice(len(SURNAMES), size=count, p=self._surname_p)
        given = self._rng.integers(0, len(GIVEN_CHARS), size=(count, 2))
        two = self._rng.random(count) < 0.65
        return [
            SURNAMES[s] + GIVEN_CHARS[g[0]] + (GIVEN_CHARS[g[1]] if t else "")
            for s, g, t in zip(surnames.tolist(), given.tolist(), two.tolist(), strict=True)
        ]

    def _place_root(self) -> str:
        if self._rng.random() < 0.75:
            return self._pick(PLACE_ROOTS)
        return self._pick(FIRST_CHARS) + self._pick(SECOND_CHARS)

    def _surname(self) -> str:
        return SURNAMES[int(self._rng.choice(len(SURNAMES), p=self._surname_p))]

    def _pick(self, options: Sequence[str]) -> str:
        return options[int(self._rng.integers(len(options)))]

    def _unique(self, draw: Callable[[], str], taken: set[str]) -> str:
        """A fresh draw not in ``taken`` (which it joins); prefixes like 新/东 resolve rare dead ends."""
        name = draw()
        for _ in range(60):
            if name not in taken:
                break
            name = draw()
        else:
            name = next((p + name for p in UNIQUE_PREFIXES if p + name not in taken), None) or _numbered(
                name, taken
            )
        taken.add(name)
        return name


def _numbered(name: str, taken: set[str]) -> str:
    k = 2
    while f"{name}{k}" in taken:
        k += 1
    return f"{name}{k}"
