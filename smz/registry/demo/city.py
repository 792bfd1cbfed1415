"""The demo city's fixed cast: constants, firms, sites, name and bank tables, and small number helpers."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from smz.registry.models import (
    SCOPE_MIN_COST_FEN,
    SCOPE_MIN_FLOOR_AREA_M2,
    Employment,
    Project,
)

DEMO_PASSWORD = "Demo@2026"  # noqa: S105 -- the published demo password, printed by demo_logins
DEMO_URL = "http://127.0.0.1:8000/"
# 建筑工人; managers (about 11 per managed project) come on top: about 2,000 people in all.
DEFAULT_WORKERS = 1750
SEED = 2026
TOWN_APPROVER_AUTHORITY = "小榄镇住房城乡建设部门"
SHOWCASE = 1  # the project every enterprise login works on (小榄)

LABOR = Employment.Role.WORKER.value
MANAGER = Employment.Role.MANAGER.value
MANAGER_WORK_TYPE = "900"
PENDING, ACTIVE = Project.Status.PENDING.value, Project.Status.ACTIVE.value
SUSPENDED, COMPLETED = Project.Status.SUSPENDED.value, Project.Status.COMPLETED.value
BUILDING, MUNICIPAL = Project.Kind.BUILDING.value, Project.Kind.MUNICIPAL.value
GC_POSTS = ("P01", "P02", "P03", "P04", "P05")
SUPERVISION_POSTS = ("S01", "S02")


# --- Firms -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Firm:
    key: str
    name: str
    role: str  # builder | gc | supervision | labor | specialty
    reg_type: str
    quals: tuple[tuple[str, str], ...]
    region: str = "442000"
    trade: str = ""  # specialty subcontractors: which teams they field

    @property
    def corp_type(self) -> str:
        return {"labor": "006", "specialty": "001"}.get(self.role, "")


FIRMS: tuple[Firm, ...] = (
    Firm("zhiye", "中山示例置业有限公司", "builder", "173", (("房地产开发企业", "二级"),)),
    Firm("chengtou", "中山演示城市建设投资集团有限公司", "builder", "151",
         (("房地产开发企业", "一级"),)),
    Firm("shiye", "中山示例实业发展有限公司", "builder", "159", (("房地产开发企业", "三级"),)),
    Firm("chanye", "中山市演示产业投资有限公司", "builder", "110", (("房地产开发企业", "暂定"),)),
    Firm("gc", "中山示例建设集团有限公司", "gc", "160",
         (("建筑工程施工总承包", "特级"), ("市政公用工程施工总承包", "一级"),
          ("地基基础工程专业承包", "一级"))),
    Firm("jiangong", "演示建工集团有限公司", "gc", "151",
         (("建筑工程施工总承包", "一级"), ("钢结构工程专业承包", "一级")), region="440106"),
    Firm("shizheng", "中山演示市政工程有限公司", "gc", "150",
         (("市政公用工程施工总承包", "一级"), ("公路工程施工总承包", "二级"))),
    Firm("jianzhu", "示例建筑工程（中山）有限公司", "gc", "173",
         (("建筑工程施工总承包", "二级"), ("建筑装修装饰工程专业承包", "二级"))),
    Firm("jianli", "中山示例工程监理有限公司", "supervision", "150", (("工程监理综合资质", ""),)),
    Firm("zixun", "演示建设监理咨询有限公司", "supervision", "159",
         (("房屋建筑工程监理", "甲级"), ("市政公用工程监理", "甲级")), region="440304"),
    Firm("laowu", "演示劳务有限公司", "labor", "173", (("施工劳务", "不分等级"),)),
    Firm("laowu2", "中山示例建筑劳务有限公司", "labor", "173",
         (("施工劳务", "不分等级"), ("模板脚手架专业承包", "不分等级"))),
    Firm("laowu3", "示例劳务工程有限公司", "labor", "171", (("施工劳务", "不分等级"),), "450900"),
    Firm("laowu4", "演示建筑劳务有限公司", "labor", "173", (("施工劳务", "不分等级"),), "430600"),
    Firm("jidian", "示例机电安装工程有限公司", "specialty", "173",
         (("建筑机电安装工程专业承包", "一级"), ("电子与智能化工程专业承包", "二级")),
         trade="mep"),
    Firm("muqiang", "演示幕墙装饰工程有限公司", "specialty", "173",
         (("建筑幕墙工程专业承包", "一级"), ("建筑装修装饰工程专业承包", "一级")),
         trade="curtain"),
    Firm("gangjg", "示例钢结构工程有限公司", "specialty", "150", (("钢结构工程专业承包", "二级"),),
         trade="steel"),
    Firm("xiaofang", "演示消防工程有限公司", "specialty", "173",
         (("消防设施工程专业承包", "一级"),), trade="fire"),
    Firm("fangshui", "示例防水工程有限公司", "specialty", "171",
         (("防水防腐保温工程专业承包", "二级"),), trade="waterproof"),
    Firm("jichu", "演示地基基础工程有限公司", "specialty", "150",
         (("地基基础工程专业承包", "一级"),), trade="piling"),
)  # fmt: skip
FIRM_BY_KEY = {f.key: f for f in FIRMS}

# Teams an employer fields, by trade and project kind: (name, work-type codes, weight).
TeamTemplate = tuple[str, tuple[str, ...], int]
TEAM_TEMPLATES: dict[str, tuple[TeamTemplate, ...]] = {
    "labor/building": (
        ("钢筋班", ("020",), 5),
        ("木工班", ("240", "050"), 4),
        ("混凝土班", ("040",), 4),
        ("泥水班", ("010",), 3),
        ("架子班", ("030",), 2),
    ),
    "labor/municipal": (
        ("管道班", ("110",), 4),
        ("路基班", ("150",), 3),
        ("钢筋班", ("020",), 3),
        ("混凝土班", ("040",), 3),
        ("模板班", ("050",), 2),
    ),
    "gc/building": (("测量班", ("300",), 1), ("塔吊班", ("180", "170"), 1)),
    "gc/municipal": (("测量班", ("300",), 1), ("机械班", ("150", "140"), 1)),
    "mep": (("水电安装班", ("130", "110"), 2), ("设备安装班", ("100", "060"), 1)),
    "curtain": (("幕墙安装班", ("210", "220"), 1),),
    "steel": (("钢构安装班", ("270", "080"), 1),),
    "fire": (("消防安装班", ("110", "130"), 1),),
    "waterproof": (("防水班", ("230",), 1),),
    "piling": (("桩基班", ("160", "150"), 1),),
}


# --- Projects ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Site:
    serial: int
    name: str
    town: str  # Jurisdiction.short_name
    kind: str
    size: int  # building: floor area m²; municipal: cost in 万元
    status: str
    builder: str
    gc: str
    supervision: str
    subs: tuple[str, ...]
    opt_in: bool = False
    vacant: tuple[str, ...] = ()  # key posts left vacant on purpose
    pm_changed: bool = False  # the PM was replaced once (R4 history)

    @property
    def code(self) -> str:
        return f"4420002025{self.serial:05d}"

    @property
    def in_scope(self) -> bool:
        if self.kind == BUILDING:
            return Decimal(self.size) >= SCOPE_MIN_FLOOR_AREA_M2 or self.opt_in
        return self.size * 10_000 * 100 >= SCOPE_MIN_COST_FEN or self.opt_in

    @property
    def has_roster(self) -> bool:
        """Below-scale projects that did not opt in are registered but keep no real-name roster."""
        return self.in_scope

    @property
    def has_labor(self) -> bool:
        return self.has_roster and self.status != PENDING


B, M = BUILDING, MUNICIPAL
SITES: tuple[Site, ...] = (
    Site(1, "小榄示例花园（一期）住宅项目", "小榄", B, 86000, ACTIVE, "zhiye", "gc", "jianli",
         ("laowu", "jidian", "muqiang"), vacant=("P04",)),
    Site(2, "小榄演示学校新建工程", "小榄", B, 24000, ACTIVE, "chengtou", "jianzhu", "zixun",
         ("laowu2", "xiaofang"), vacant=("S02",)),
    Site(3, "小榄示例社区卫生服务站改造工程", "小榄", B, 3200, ACTIVE, "shiye", "jianzhu",
         "jianli", ("laowu3",), opt_in=True),
    Site(4, "石岐示例商业广场项目", "石岐区", B, 120000, ACTIVE, "zhiye", "gc", "jianli",
         ("laowu", "gangjg", "muqiang"), pm_changed=True),
    Site(5, "岐江演示路段排水管网改造工程", "石岐区", M, 3800, ACTIVE, "chengtou", "shizheng",
         "zixun", ("laowu4", "jichu")),
    Site(6, "东区演示大厦项目", "东区", B, 65000, ACTIVE, "shiye", "jiangong", "jianli",
         ("laowu2", "jidian", "xiaofang"), vacant=("P03",)),
    Site(7, "东区示例公园配套用房工程", "东区", B, 2600, ACTIVE, "chengtou", "jianzhu", "zixun",
         ("laowu3",)),
    Site(8, "西区示例安居苑保障性住房项目", "西区", B, 54000, ACTIVE, "chengtou", "gc", "zixun",
         ("laowu", "fangshui")),
    Site(9, "西区演示路人行道提升工程", "西区", M, 680, ACTIVE, "chengtou", "shizheng", "zixun",
         ("laowu4",)),
    Site(10, "南区演示科创园（二期）项目", "南区", B, 48000, SUSPENDED, "chanye", "jiangong",
         "jianli", ("laowu2", "gangjg"), vacant=("P01",)),
    Site(11, "南区示例小学扩建工程", "南区", B, 15000, COMPLETED, "chengtou", "jianzhu", "jianli",
         ("laowu3", "fangshui")),
    Site(12, "古镇演示灯饰产业园厂房项目", "古镇", B, 42000, ACTIVE, "chanye", "jiangong", "zixun",
         ("laowu4", "gangjg"), vacant=("P05",)),
    Site(13, "古镇示例大道市政道路工程", "古镇", M, 12600, ACTIVE, "chengtou", "shizheng",
         "jianli", ("laowu", "jichu")),
    Site(14, "坦洲示例名苑住宅项目", "坦洲", B, 98000, ACTIVE, "zhiye", "gc", "zixun",
         ("laowu2", "jidian", "muqiang"), pm_changed=True),
    Site(15, "坦洲演示河涌综合整治工程", "坦洲", M, 2300, PENDING, "chengtou", "shizheng",
         "zixun", ("laowu4",), vacant=("P03", "P04", "P05")),
    Site(16, "三乡演示温泉酒店项目", "三乡", B, 36000, ACTIVE, "shiye", "jianzhu", "jianli",
         ("laowu3", "xiaofang", "muqiang")),
    Site(17, "三乡示例村民活动中心工程", "三乡", B, 1800, COMPLETED, "chengtou", "jianzhu",
         "jianli", ("laowu3",)),
    Site(18, "火炬开发区演示智能制造基地项目", "火炬开发区", B, 75000, ACTIVE, "chanye",
         "jiangong", "zixun", ("laowu", "gangjg", "jidian")),
    Site(19, "火炬开发区示例路桥梁工程", "火炬开发区", M, 8600, ACTIVE, "chengtou", "shizheng",
         "jianli", ("laowu4", "jichu")),
    Site(20, "南朗示例海岸花园项目", "南朗", B, 60000, PENDING, "zhiye", "gc", "zixun",
         ("laowu2",), vacant=("P04", "P05", "S02")),
    Site(21, "沙溪演示服装城改造工程", "沙溪", B, 28000, ACTIVE, "shiye", "jianzhu", "jianli",
         ("laowu3", "fangshui")),
    Site(22, "黄圃示例食品产业园厂房工程", "黄圃", B, 33000, ACTIVE, "chanye", "jiangong",
         "zixun", ("laowu2", "gangjg")),
    Site(23, "翠亨新区演示快线配套道路工程", "翠亨新区", M, 45000, ACTIVE, "chengtou",
         "shizheng", "zixun", ("laowu", "jichu"), vacant=("S02",)),
    Site(24, "横栏示例花木市场改造工程", "横栏", B, 9000, COMPLETED, "shiye", "jianzhu", "jianli",
         ("laowu4",)),
    Site(25, "五桂山演示生态停车场工程", "五桂山", M, 950, ACTIVE, "chengtou", "shizheng",
         "zixun", ("laowu3",)),
    Site(26, "东区示例医院住院楼项目", "东区", B, 52000, ACTIVE, "chengtou", "gc", "jianli",
         ("laowu", "jidian", "xiaofang")),
    Site(27, "石岐示例老旧小区微改造工程", "石岐区", M, 1200, ACTIVE, "chengtou", "shizheng",
         "zixun", ("laowu2",)),
    Site(28, "小榄示例工业园（三期）厂房项目", "小榄", B, 5000, PENDING, "chanye", "gc",
         "jianli", ("laowu3",), vacant=("P02", "P03", "P04", "P05", "S02")),
    Site(29, "南区演示污水处理厂提标改造工程", "南区", M, 6800, SUSPENDED, "chengtou",
         "shizheng", "zixun", ("laowu4", "jichu")),
    Site(30, "古镇示例商住楼项目", "古镇", B, 4800, ACTIVE, "zhiye", "jianzhu", "zixun",
         ("laowu",)),
)  # fmt: skip


# --- People ------------------------------------------------------------------------------------

# (ID region code, place of origin, issuing police bureau, weight): locals and the usual migrant origins.
REGIONS: tuple[tuple[str, str, str, int], ...] = (
    ("442000", "广东省中山市", "中山市公安局", 35),
    ("441322", "广东省博罗县", "博罗县公安局", 5),
    ("441323", "广东省惠东县", "惠东县公安局", 4),
    ("440981", "广东省高州市", "高州市公安局", 6),
    ("440882", "广东省雷州市", "雷州市公安局", 5),
    ("450921", "广西壮族自治区容县", "容县公安局", 5),
    ("450922", "广西壮族自治区陆川县", "陆川县公安局", 6),
    ("450923", "广西壮族自治区博白县", "博白县公安局", 8),
    ("513022", "四川省宣汉县", "宣汉县公安局", 5),
    ("513029", "四川省大竹县", "大竹县公安局", 4),
    ("513030", "四川省渠县", "渠县公安局", 3),
    ("430621", "湖南省岳阳县", "岳阳县公安局", 4),
    ("430626", "湖南省平江县", "平江县公安局", 5),
    ("430681", "湖南省汨罗市", "汨罗市公安局", 3),
)
SURNAMES = "陈李黄张梁刘林何吴罗周郑杨王谢冯曾彭邓苏叶赵徐孙胡朱郭马钟卢"
DIGITS = "零一二三四五六七八九"
BANK_WEIGHTS = {"102": 25, "103": 20, "105": 15, "104": 10, "403": 10, "314": 10}
BANK_BRANCHES = ("小榄", "石岐", "东区", "古镇", "坦洲", "火炬开发区", "三乡")
ZHONGSHAN_PLACES = ("石岐区", "东区", "西区", "南区", "小榄镇", "古镇镇", "坦洲镇", "三乡镇")


def chinese_number(n: int) -> str:
    """1..99 in Chinese numerals: 7 → 七, 10 → 十, 42 → 四十二."""
    tens, ones = divmod(n, 10)
    if tens == 0:
        return DIGITS[ones]
    head = "" if tens == 1 else DIGITS[tens]
    return head + "十" + (DIGITS[ones] if ones else "")


def luhn_complete(digits: str) -> str:
    """Append the Luhn check digit (bank cards carry one)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return digits + str((10 - total % 10) % 10)
