"""演示城市 (demo city): a fictional Zhongshan with firms, projects, people and one login per role.

`plan_demo_city` draws the whole city from seeded random streams, without touching the database: the same size
gives the same city. `build_demo_city` writes it, keyed by natural keys (USCC, project code, ID-number index,
(project, enterprise, name) for teams, username, ...) and creating only what is missing, so a second run adds
nothing. Dates are relative to `today`, so the demo always looks current.

Every name is obviously fictional (示例 / 演示); ID numbers and USCCs are checksum-valid but synthetic
(smz.registry.synthetic). Used by `manage.py seed_demo` and `manage.py demo_logins`.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import models, transaction
from django.utils import timezone

from smz.accounts.models import AUTHORITY_ROLES, ENTERPRISE_ROLES, Role, User
from smz.registry.codes import code_table
from smz.registry.models import (
    SCOPE_MIN_COST_FEN,
    SCOPE_MIN_FLOOR_AREA_M2,
    Authority,
    Employment,
    Enterprise,
    Jurisdiction,
    KeyPost,
    KeyPostHolding,
    Participant,
    Project,
    Qualification,
    Team,
    Worker,
)
from smz.registry.reference import MARKET_AUTHORITY, QUALITY_AUTHORITY, SAFETY_AUTHORITY
from smz.registry.services import id_number_index, phone_index
from smz.registry.synthetic import synthetic_id_number, synthetic_uscc

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
    Site(28, "小榄示例工业园（三期）厂房项目", "小榄", B, 5000, PENDING, "chanye", "jianzhu",
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


@dataclass
class Person:
    idx: int
    id_number: str
    name: str
    gender: str
    nation: str
    birth_date: dt.date
    address: str
    grant_org: str
    id_valid_from: dt.date
    id_valid_to: dt.date | None
    phone: str
    culture_level: str
    politics_type: str
    bank_card: str
    bank_code: str
    bank_name: str

    @property
    def index(self) -> str:
        return id_number_index(Worker.ID_CARD, self.id_number)


@dataclass
class Stint:
    """One planned Employment row."""

    site: int
    person: int
    employer: str
    team: str | None
    work_type: str
    role: str
    entry: dt.date
    exit: dt.date | None = None
    leader: bool = False


@dataclass
class TeamPlan:
    site: int
    firm: str
    name: str
    members: list[Stint] = field(default_factory=list)
    leader: int | None = None


@dataclass
class PostPlan:
    site: int
    firm: str
    post: str
    holder: int | None
    since: dt.date | None


@dataclass
class HoldingPlan:
    site: int
    firm: str
    post: str
    person: int
    start: dt.date
    end: dt.date | None
    basis: str


@dataclass
class ParticipantPlan:
    firm: str
    corp_type: str
    entry: dt.date | None
    exit: dt.date | None
    pm_name: str
    pm_phone: str


@dataclass
class SitePlan:
    site: Site
    permit: dt.date
    planned: dt.date
    actual: dt.date | None
    completed: dt.date | None
    halted: dt.date | None  # suspended since
    area: Decimal
    cost_fen: int
    participants: list[ParticipantPlan] = field(default_factory=list)

    @property
    def code(self) -> str:
        return self.site.code

    @property
    def permit_no(self) -> str:
        return f"442000{self.permit:%Y%m%d}{self.site.serial:02d}01"


@dataclass
class CityPlan:
    today: dt.date
    sites: dict[int, SitePlan]
    people: list[Person]
    stints: list[Stint]
    teams: dict[tuple[int, str, str], TeamPlan]
    posts: list[PostPlan]
    holdings: list[HoldingPlan]
    worker_login: int  # person idx of the worker who gets the "worker" login


class _People:
    """Draws fictional people with unique, checksum-valid ID numbers."""

    def __init__(self, rng: random.Random, today: dt.date, banks: dict[str, str]) -> None:
        self.rng = rng
        self.today = today
        self.banks = banks
        self.people: list[Person] = []
        self.taken: set[str] = set()

    def new(self, *, manager: bool) -> Person:
        rng, idx = self.rng, len(self.people)
        region, origin, police, _ = rng.choices(REGIONS, weights=[r[3] for r in REGIONS])[0]
        male = rng.random() < (0.8 if manager else 0.88)
        age = rng.randint(27, 56) if manager else rng.randint(20, 58)
        birth = self.today - dt.timedelta(days=age * 365 + rng.randint(0, 364))
        id_number = synthetic_id_number(region=region, birth=birth, seq=idx, male=male)
        while id_number in self.taken:
            birth -= dt.timedelta(days=1)
            id_number = synthetic_id_number(region=region, birth=birth, seq=idx, male=male)
        self.taken.add(id_number)
        surname = rng.choice(SURNAMES)
        name = f"{surname}{'示例' if manager else '演示'}{chinese_number(idx % 99 + 1)}"
        if region == "442000":
            address = f"{origin}{rng.choice(ZHONGSHAN_PLACES)}演示街{rng.randint(1, 199)}号"
        else:
            address = f"{origin}示例镇演示村{rng.randint(1, 30)}组{rng.randint(1, 99)}号"
        # GB/T 2261.1 validity: 10 years under 26, 20 years to 45, long-term from 46.
        years = 10 if age < 26 else 20 if age < 46 else 0
        if years:
            issued = self.today - dt.timedelta(days=rng.randint(60, years * 365 - 60))
            issued = issued.replace(day=min(issued.day, 28))  # no 29 Feb: valid_to keeps the day
            valid_to: dt.date | None = issued.replace(year=issued.year + years)
        else:
            issued = self.today - dt.timedelta(days=rng.randint(60, 15 * 365))
            valid_to = None
        if region.startswith("45"):
            nation = rng.choices(["01", "08", "13"], weights=[75, 22, 3])[0]
        elif region.startswith("43"):
            nation = rng.choices(["01", "15", "06"], weights=[85, 10, 5])[0]
        else:
            nation = rng.choices(["01", "03", "11"], weights=[98, 1, 1])[0]
        bank_code = rng.choices(
            list(self.banks), weights=[BANK_WEIGHTS.get(c, 2) for c in self.banks]
        )[0]
        bank, branch = self.banks[bank_code], rng.choice(BANK_BRANCHES)
        branch_name = (
            f"中山农村商业银行{branch}支行" if bank == "农村商业银行" else f"{bank}中山{branch}支行"
        )
        person = Person(
            idx=idx,
            id_number=id_number,
            name=name,
            gender="1" if male else "2",
            nation=nation,
            birth_date=birth,
            address=address,
            grant_org=police,
            id_valid_from=issued,
            id_valid_to=valid_to,
            phone=rng.choice(("13", "15", "18")) + f"{rng.randrange(10**9):09d}",
            culture_level=rng.choices(["05", "06"], weights=[6, 4])[0]
            if manager
            else rng.choices(["01", "02", "03", "04"], weights=[15, 55, 20, 10])[0],
            politics_type=rng.choices(["01", "13"], weights=[3, 7])[0] if manager else "13",
            bank_card=luhn_complete(f"62{bank_code}{rng.randrange(10**13):013d}"),
            bank_code=bank_code,
            bank_name=branch_name,
        )
        self.people.append(person)
        return person


def _days(rng: random.Random, lo: int, hi: int) -> dt.timedelta:
    return dt.timedelta(days=rng.randint(lo, max(lo, hi)))


def _plan_site(rng: random.Random, site: Site, today: dt.date) -> SitePlan:
    if site.status == PENDING:
        permit = today - _days(rng, 10, 60)
    elif site.status == COMPLETED:
        permit = today - _days(rng, 720, 1100)
    elif site.status == SUSPENDED:
        permit = today - _days(rng, 420, 800)
    else:
        permit = today - _days(rng, 150, 900)
    planned = permit + _days(rng, 7, 85)  # 拟开工 within three months of the permit
    actual = completed = halted = None
    if site.status != PENDING:
        actual = planned + _days(rng, 0, 20)
    if site.status == COMPLETED:
        assert actual is not None
        completed = min(actual + _days(rng, 300, 520), today - dt.timedelta(days=30))
    if site.status == SUSPENDED:
        halted = today - _days(rng, 30, 150)
    if site.kind == BUILDING:
        area = Decimal(site.size) + Decimal(rng.randint(0, 99)) / 100
        if site.size == 5000:  # exactly on the threshold, to show it is inclusive
            area = Decimal(5000)
        cost_fen = int(area * rng.randint(2800, 4200)) * 100
    else:
        area = Decimal(0)
        cost_fen = site.size * 10_000 * 100 + rng.randint(0, 9999) * 100
    return SitePlan(site, permit, planned, actual, completed, halted, area, cost_fen)


def _window(sp: SitePlan, today: dt.date) -> tuple[dt.date, dt.date, dt.date]:
    """(first entry day, last entry day, last exit day) for people on the site."""
    start = sp.actual or sp.permit
    stop = sp.completed or sp.halted or today
    entry_until = start + (stop - start) * 4 // 5
    return start, max(start, entry_until), max(start, sp.completed or today)


def _stint_dates(
    rng: random.Random, sp: SitePlan, today: dt.date, *, exited: bool
) -> tuple[dt.date, dt.date | None]:
    first, last, exit_until = _window(sp, today)
    entry = first + _days(rng, 0, (last - first).days)
    if not exited:
        return entry, None
    return entry, entry + _days(rng, 0, (exit_until - entry).days)


def _labor_choice(rng: random.Random, sp: SitePlan) -> tuple[str, TeamTemplate]:
    """Pick who employs a worker on the site (mostly the labor subcontractor) and in which team."""
    site = sp.site
    options: list[tuple[str, str]] = [(site.gc, f"gc/{site.kind}")]
    weights = [1]
    for key in site.subs:
        firm = FIRM_BY_KEY[key]
        if firm.role == "labor":
            options.append((key, f"labor/{site.kind}"))
            weights.append(6)
        else:
            options.append((key, firm.trade))
            weights.append(2)
    employer, template = rng.choices(options, weights=weights)[0]
    teams = TEAM_TEMPLATES[template]
    team = rng.choices(teams, weights=[t[2] for t in teams])[0]
    return employer, team


def _manager(
    site: Site, person: Person, firm: str, entry: dt.date, exit_on: dt.date | None
) -> Stint:
    return Stint(site.serial, person.idx, firm, None, MANAGER_WORK_TYPE, MANAGER, entry, exit_on)


def _labor(
    rng: random.Random,
    sp: SitePlan,
    person: Person,
    employer: str,
    team: TeamTemplate,
    entry: dt.date,
    exit_on: dt.date | None,
) -> Stint:
    work_type = rng.choice(team[1])
    return Stint(sp.site.serial, person.idx, employer, team[0], work_type, LABOR, entry, exit_on)


def plan_demo_city(
    *, workers: int = DEFAULT_WORKERS, today: dt.date, banks: dict[str, str]
) -> CityPlan:
    """The whole demo city in memory. Deterministic for a given (workers, today)."""
    site_rng = random.Random(SEED)  # noqa: S311 -- reproducible demo data, not secrets
    people_rng = random.Random(SEED + 1)  # noqa: S311
    work_rng = random.Random(SEED + 2)  # noqa: S311
    people = _People(people_rng, today, banks)
    sites = {s.serial: _plan_site(site_rng, s, today) for s in SITES}
    stints: list[Stint] = []
    posts: list[PostPlan] = []
    holdings: list[HoldingPlan] = []
    pm_of: dict[tuple[int, str], str] = {}

    # Managers: key-post holders of the GC and the supervision firm, one more of each, one per subcontractor.
    for sp in sites.values():
        site = sp.site
        if not site.has_roster:
            continue
        leaving = sp.completed
        for firm, codes in ((site.gc, GC_POSTS), (site.supervision, SUPERVISION_POSTS)):
            for post in codes:
                if post in site.vacant:
                    posts.append(PostPlan(site.serial, firm, post, None, None))
                    continue
                holder = people.new(manager=True)
                since = sp.permit
                if post == "P01" and site.pm_changed:
                    assert sp.actual is not None
                    changed = min(
                        sp.actual + _days(work_rng, 60, (today - sp.actual).days // 2),
                        today - dt.timedelta(days=10),
                    )
                    first = people.new(manager=True)
                    stints.append(_manager(site, first, firm, since, changed))
                    holdings.append(
                        HoldingPlan(site.serial, firm, post, first.idx, since, changed, "施工许可")
                    )
                    since, basis = changed, "项目经理变更"
                else:
                    basis = "施工许可"
                stints.append(_manager(site, holder, firm, since, leaving))
                posts.append(PostPlan(site.serial, firm, post, holder.idx, since))
                holdings.append(
                    HoldingPlan(site.serial, firm, post, holder.idx, since, leaving, basis)
                )
                if post in {"P01", "S01"}:
                    pm_of[(site.serial, firm)] = holder.name
            if site.status != PENDING:
                extra = people.new(manager=True)
                stints.append(_manager(site, extra, firm, sp.permit, leaving))
        if site.status != PENDING:
            for key in site.subs:
                boss = people.new(manager=True)
                entry, _ = _stint_dates(work_rng, sp, today, exited=False)
                stints.append(_manager(site, boss, key, entry, leaving))
                pm_of[(site.serial, key)] = boss.name

    # Workers: first one on every site with labor, a few more on the showcase, then by site size.
    labor_sites = [sp for sp in sites.values() if sp.site.has_labor]
    active_sites = [sp for sp in labor_sites if sp.site.status == ACTIVE]
    weights = [
        min(100.0, max(3.0, s.site.size / (1000 if s.site.kind == BUILDING else 300)))
        * {ACTIVE: 1.0, SUSPENDED: 0.6, COMPLETED: 0.5}[s.site.status]
        for s in labor_sites
    ]
    showcase = sites[SHOWCASE]
    forced = [*labor_sites, *[showcase] * 8]
    if workers < len(forced):
        raise ValueError(f"the demo city needs at least {len(forced)} workers")
    worker_login = -1
    for i in range(workers):
        sp = forced[i] if i < len(forced) else work_rng.choices(labor_sites, weights=weights)[0]
        employer, team = _labor_choice(work_rng, sp)
        if i == len(labor_sites):  # the showcase's worker login: a labor subcontractor's man
            employer = next(k for k in sp.site.subs if FIRM_BY_KEY[k].role == "labor")
            team = TEAM_TEMPLATES[f"labor/{sp.site.kind}"][0]
        status = sp.site.status
        share_exited = {ACTIVE: 0.12, SUSPENDED: 0.5, COMPLETED: 1.0}[status]
        exited = status == COMPLETED or (i >= len(forced) and work_rng.random() < share_exited)
        person = people.new(manager=False)
        if i == len(labor_sites):
            worker_login = person.idx
        entry, exit_on = _stint_dates(work_rng, sp, today, exited=exited)
        stints.append(_labor(work_rng, sp, person, employer, team, entry, exit_on))
        if status == COMPLETED and exit_on and work_rng.random() < 0.5:
            # Moved on to a site still under way.
            nxt = work_rng.choice(active_sites)
            employer, team = _labor_choice(work_rng, nxt)
            first, last, _ = _window(nxt, today)
            lo = max(first, exit_on + dt.timedelta(days=3))
            entry = min(lo + _days(work_rng, 0, (last - lo).days), today)
            stints.append(_labor(work_rng, nxt, person, employer, team, entry, None))

    teams: dict[tuple[int, str, str], TeamPlan] = {}
    for s in stints:
        if s.team is not None:
            key = (s.site, s.employer, s.team)
            teams.setdefault(key, TeamPlan(*key)).members.append(s)
    for team in teams.values():
        # The leader: the longest-serving member still on site (or, when all left, the first one).
        on_site = [m for m in team.members if m.exit is None] or team.members
        chief = min(on_site, key=lambda m: (m.entry, m.person))
        chief.leader = True
        team.leader = chief.person

    for sp in sites.values():
        site = sp.site
        sub_entry = (sp.actual + dt.timedelta(days=10)) if sp.actual else None
        roles = [
            (site.builder, Participant.BUILDER, sp.permit),
            (site.gc, Participant.GC, sp.planned - dt.timedelta(days=5)),
            (site.supervision, Participant.SUPERVISION, sp.planned - dt.timedelta(days=5)),
            *((k, FIRM_BY_KEY[k].corp_type, sub_entry) for k in site.subs),
        ]
        for firm, corp_type, entry in roles:
            name = pm_of.get((site.serial, firm)) or f"{site_rng.choice(SURNAMES)}示例负责人"
            phone = "13" + f"{site_rng.randrange(10**9):09d}"
            sp.participants.append(
                ParticipantPlan(firm, corp_type, entry, sp.completed, name, phone)
            )

    return CityPlan(
        today, sites, people.people, stints, teams, posts, holdings, worker_login=worker_login
    )


# --- Logins ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Login:
    username: str
    role: str
    display_name: str
    authority: str = ""  # Authority.name
    firm: str = ""  # Firm.key
    assigned: tuple[int, ...] = ()  # User.projects (site serials)


LOGINS: tuple[Login, ...] = (
    Login("admin", Role.CITY_ADMIN, "市场科管理员", authority=MARKET_AUTHORITY),
    Login("supervisor", Role.CITY_SUPERVISOR, "市局监督员", authority=MARKET_AUTHORITY),
    Login("safety1", Role.APPROVER_L1, "安全中心一级审批", authority=SAFETY_AUTHORITY),
    Login("safety2", Role.APPROVER_L2, "安全中心二级审批", authority=SAFETY_AUTHORITY),
    Login("xiaolan1", Role.APPROVER_L1, "小榄住建一级审批", authority=TOWN_APPROVER_AUTHORITY),
    Login("xiaolan2", Role.APPROVER_L2, "小榄住建二级审批", authority=TOWN_APPROVER_AUTHORITY),
    Login("quality", Role.QUALITY_CLERK, "质量中心经办人", authority=QUALITY_AUTHORITY),
    Login("window", Role.WINDOW_CLERK, "窗口采集员", authority=MARKET_AUTHORITY),
    Login("gc_admin", Role.ENTERPRISE_ADMIN, "示例建设企业管理员", firm="gc"),
    Login("gc_labor", Role.LABOR_SPECIALIST, "示例建设劳资专管员", firm="gc", assigned=(1, 4)),
    Login("sub_labor", Role.LABOR_SPECIALIST, "演示劳务劳资专管员", firm="laowu", assigned=(1,)),
    Login("pm", Role.PROJECT_MANAGER, "", firm="gc", assigned=(1,)),
    Login("jianli", Role.SUPERVISION_MANAGER, "", firm="jianli", assigned=(1,)),
    Login("worker", Role.WORKER, ""),
)
SUPERUSER = "root"


# --- Writing -----------------------------------------------------------------------------------


def database_has_data() -> bool:
    """True when there are projects, enterprises or people already (`seed_demo --if-empty` then skips)."""
    return (
        Project.objects.exists()
        or Enterprise.objects.exists()
        or Worker.objects.exists()
        or User.objects.filter(username__in=[lg.username for lg in LOGINS]).exists()
    )


def _create_missing[M: models.Model](
    model: type[M], objs: Iterable[M], key: Callable[[M], Any], existing: set[Any]
) -> int:
    fresh, seen = [], set(existing)
    for obj in objs:
        k = key(obj)
        if k not in seen:
            seen.add(k)
            fresh.append(obj)
    model.objects.bulk_create(fresh, batch_size=500)
    return len(fresh)


def _chunks(items: list[Any], size: int = 500) -> Iterable[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def build_demo_city(*, workers: int = DEFAULT_WORKERS, today: dt.date | None = None) -> dict:
    """Write the demo city; only missing rows are created. Returns the row counts afterwards."""
    today = today or timezone.localdate()
    plan = plan_demo_city(workers=workers, today=today, banks=code_table("bank"))
    with transaction.atomic():
        firms = _write_firms()
        projects = _write_projects(plan, firms)
        people = _write_people(plan)
        teams = _write_teams(plan, firms, projects, people)
        _write_employments(plan, firms, projects, people, teams)
        _write_key_posts(plan, firms, projects, people)
        _write_logins(plan, firms, projects, people)
    return demo_counts()


def _write_firms() -> dict[str, Enterprise]:
    codes = {f.key: synthetic_uscc(seq=26_000 + n, region=f.region) for n, f in enumerate(FIRMS, 1)}
    existing = set(Enterprise.objects.filter(corp_code__in=codes.values()).values_list("corp_code"))
    _create_missing(
        Enterprise,
        (
            Enterprise(
                corp_code=codes[f.key],
                name=f.name,
                reg_type=f.reg_type,
                area_code=f.region,
                legal_rep=f"{SURNAMES[n % len(SURNAMES)]}示例",
                address=f"中山市{ZHONGSHAN_PLACES[n % len(ZHONGSHAN_PLACES)]}演示大道{n * 11}号",
                contact_phone=f"0760-88{n:02d}{n * 37 % 10000:04d}",
            )
            for n, f in enumerate(FIRMS, 1)
        ),
        lambda e: (e.corp_code,),
        existing,
    )
    by_code = {e.corp_code: e for e in Enterprise.objects.filter(corp_code__in=codes.values())}
    firms = {key: by_code[code] for key, code in codes.items()}
    quals = []
    for n, f in enumerate(FIRMS, 1):
        for m, (name, grade) in enumerate(f.quals):
            prefix = {"builder": "粤房开", "supervision": "E244"}.get(f.role, "D244")
            quals.append(
                Qualification(
                    enterprise=firms[f.key],
                    name=name,
                    grade=grade,
                    cert_no=f"{prefix}{n:03d}{m + 1:03d}",
                    valid_to=dt.date(2027 + (n + m) % 3, (n * 5 + m) % 12 + 1, 28),
                )
            )
    existing = set(
        Qualification.objects.filter(enterprise__in=firms.values()).values_list(
            "enterprise_id", "cert_no"
        )
    )
    _create_missing(Qualification, quals, lambda q: (q.enterprise_id, q.cert_no), existing)
    return firms


def _write_projects(plan: CityPlan, firms: dict[str, Enterprise]) -> dict[int, Project]:
    places = {j.short_name: j for j in Jurisdiction.objects.all()}
    existing = {p.code: p for p in Project.objects.filter(code__in=[s.code for s in SITES])}
    for sp in plan.sites.values():
        if sp.code in existing:
            continue
        town = places[sp.site.town]
        # save(), not bulk_create: Project.save derives in_scope from the thresholds.
        existing[sp.code] = Project.objects.create(
            code=sp.code,
            name=sp.site.name,
            permit_no=sp.permit_no,
            kind=sp.site.kind,
            floor_area_m2=sp.area,
            cost_fen=sp.cost_fen,
            jurisdiction=town,
            address=f"中山市{town.name}示例路{sp.site.serial * 7 + 1}号",
            builder=firms[sp.site.builder],
            permit_issued_on=sp.permit,
            planned_start=sp.planned,
            actual_start=sp.actual,
            completed_on=sp.completed,
            status=sp.site.status,
            opt_in=sp.site.opt_in,
        )
    projects = {sp.site.serial: existing[sp.code] for sp in plan.sites.values()}
    current = set(
        Participant.objects.filter(project__in=projects.values()).values_list(
            "project_id", "enterprise_id", "corp_type"
        )
    )
    _create_missing(
        Participant,
        (
            Participant(
                project=projects[serial],
                enterprise=firms[pp.firm],
                corp_type=pp.corp_type,
                entry_on=pp.entry,
                exit_on=pp.exit,
                pm_name=pp.pm_name,
                pm_phone=pp.pm_phone,
            )
            for serial, sp in plan.sites.items()
            for pp in sp.participants
        ),
        lambda p: (p.project_id, p.enterprise_id, p.corp_type),
        current,
    )
    return projects


def _write_people(plan: CityPlan) -> dict[int, int]:
    """Workers by ID-number index; returns person idx → Worker pk."""
    index = {p.idx: p.index for p in plan.people}
    pks: dict[str, int] = {}
    for chunk in _chunks(list(index.values())):
        pks.update(
            Worker.objects.filter(id_card_type=Worker.ID_CARD, id_number_index__in=chunk)
            .values_list("id_number_index", "pk")
            .iterator()
        )
    fresh = [
        # bulk_create still calls get_prep_value (the personal numbers are encrypted on the way in) but
        # not Worker.save(): the phone's blind index is set here.
        Worker(
            id_card_type=Worker.ID_CARD,
            id_number=p.id_number,
            id_number_index=index[p.idx],
            name=p.name,
            gender=p.gender,
            nation=p.nation,
            birth_date=p.birth_date,
            address=p.address,
            grant_org=p.grant_org,
            id_valid_from=p.id_valid_from,
            id_valid_to=p.id_valid_to,
            phone=p.phone,
            phone_index=phone_index(p.phone),
            culture_level=p.culture_level,
            politics_type=p.politics_type,
            bank_card=p.bank_card,
            bank_code=p.bank_code,
            bank_name=p.bank_name,
        )
        for p in plan.people
        if index[p.idx] not in pks
    ]
    Worker.objects.bulk_create(fresh, batch_size=500)
    missing = [w.id_number_index for w in fresh if w.pk is None]
    for chunk in _chunks(missing):  # backends that do not return ids from bulk inserts
        pks.update(
            Worker.objects.filter(id_card_type=Worker.ID_CARD, id_number_index__in=chunk)
            .values_list("id_number_index", "pk")
            .iterator()
        )
    pks.update({w.id_number_index: w.pk for w in fresh if w.pk is not None})
    return {idx: pks[ix] for idx, ix in index.items()}


def _write_teams(
    plan: CityPlan,
    firms: dict[str, Enterprise],
    projects: dict[int, Project],
    people: dict[int, int],
) -> dict[tuple[int, str, str], int]:
    existing = set(
        Team.objects.filter(project__in=projects.values()).values_list(
            "project_id", "enterprise_id", "name"
        )
    )
    by_idx = {p.idx: p for p in plan.people}
    objs = []
    for (serial, firm, name), tp in plan.teams.items():
        chief = by_idx[tp.leader] if tp.leader is not None else None
        exits = [m.exit for m in tp.members]
        objs.append(
            Team(
                project=projects[serial],
                enterprise=firms[firm],
                name=name,
                leader_id=people[chief.idx] if chief else None,
                responsible_name=chief.name if chief else "",
                responsible_phone=chief.phone if chief else "",
                entry_on=min(m.entry for m in tp.members),
                exit_on=None if None in exits else max(e for e in exits if e),
            )
        )
    _create_missing(Team, objs, lambda t: (t.project_id, t.enterprise_id, t.name), existing)
    serial_of = {p.pk: serial for serial, p in projects.items()}
    firm_of = {e.pk: key for key, e in firms.items()}
    return {
        (serial_of[project_id], firm_of[enterprise_id], name): pk
        for pk, project_id, enterprise_id, name in Team.objects.filter(
            project__in=projects.values(), enterprise__in=firms.values()
        ).values_list("pk", "project_id", "enterprise_id", "name")
    }


def _write_employments(
    plan: CityPlan,
    firms: dict[str, Enterprise],
    projects: dict[int, Project],
    people: dict[int, int],
    teams: dict[tuple[int, str, str], int],
) -> None:
    existing = set(
        Employment.objects.filter(project__in=projects.values()).values_list(
            "project_id", "worker_id"
        )
    )
    _create_missing(
        Employment,
        (
            Employment(
                project=projects[s.site],
                worker_id=people[s.person],
                employer=firms[s.employer],
                team_id=teams[(s.site, s.employer, s.team)] if s.team else None,
                work_type=s.work_type,
                work_role=s.role,
                is_team_leader=s.leader,
                entry_on=s.entry,
                exit_on=s.exit,
                status=Employment.Status.EXITED if s.exit else Employment.Status.ACTIVE,
            )
            for s in plan.stints
        ),
        lambda e: (e.project_id, e.worker_id),
        existing,
    )


def _write_key_posts(
    plan: CityPlan,
    firms: dict[str, Enterprise],
    projects: dict[int, Project],
    people: dict[int, int],
) -> None:
    existing = set(
        KeyPost.objects.filter(project__in=projects.values()).values_list(
            "project_id", "enterprise_id", "post"
        )
    )
    _create_missing(
        KeyPost,
        (
            KeyPost(
                project=projects[pp.site],
                enterprise=firms[pp.firm],
                post=pp.post,
                holder_id=people[pp.holder] if pp.holder is not None else None,
                holder_since=pp.since,
            )
            for pp in plan.posts
        ),
        lambda k: (k.project_id, k.enterprise_id, k.post),
        existing,
    )
    post_pk = {
        (project_id, enterprise_id, post): pk
        for pk, project_id, enterprise_id, post in KeyPost.objects.filter(
            project__in=projects.values()
        ).values_list("pk", "project_id", "enterprise_id", "post")
    }
    held = set(
        KeyPostHolding.objects.filter(key_post_id__in=post_pk.values()).values_list(
            "key_post_id", "worker_id"
        )
    )
    _create_missing(
        KeyPostHolding,
        (
            KeyPostHolding(
                key_post_id=post_pk[(projects[h.site].pk, firms[h.firm].pk, h.post)],
                worker_id=people[h.person],
                start_on=h.start,
                end_on=h.end,
                basis=h.basis,
            )
            for h in plan.holdings
        ),
        lambda h: (h.key_post_id, h.worker_id),
        held,
    )


def _write_logins(
    plan: CityPlan,
    firms: dict[str, Enterprise],
    projects: dict[int, Project],
    people: dict[int, int],
) -> None:
    authorities = {a.name: a for a in Authority.objects.all()}
    by_idx = {p.idx: p for p in plan.people}
    holder = {(pp.site, pp.post): pp.holder for pp in plan.posts if pp.holder is not None}
    names = {
        "pm": by_idx[holder[(SHOWCASE, "P01")]].name,
        "jianli": by_idx[holder[(SHOWCASE, "S01")]].name,
        "worker": by_idx[plan.worker_login].name,
    }
    existing = set(User.objects.values_list("username", flat=True))
    # One argon2 hash for all demo logins (each costs ~0.5 s on a small machine); the password is public.
    hashed = make_password(DEMO_PASSWORD)
    for login in LOGINS:
        if login.username in existing:
            continue
        user = User(
            username=login.username,
            role=login.role,
            display_name=login.display_name or names[login.username],
            authority=authorities[login.authority] if login.authority else None,
            enterprise=firms[login.firm] if login.firm else None,
            worker_id=people[plan.worker_login] if login.role == Role.WORKER else None,
        )
        user.password = hashed
        user.save()
        if login.assigned:
            user.projects.add(*(projects[s] for s in login.assigned))
    if SUPERUSER not in existing:
        User.objects.create(
            username=SUPERUSER,
            password=hashed,
            role="",
            display_name="系统超级管理员",
            is_staff=True,
            is_superuser=True,
        )


def demo_counts() -> dict[str, int]:
    """Rows per table (verbose name → count), for the command's report and the tests."""
    tables: list[type[models.Model]] = [
        Enterprise,
        Qualification,
        Project,
        Participant,
        Team,
        Worker,
        Employment,
        KeyPost,
        KeyPostHolding,
        User,
    ]
    return {str(m._meta.verbose_name): m.objects.count() for m in tables}


# --- Reading the logins back (demo_logins) -----------------------------------------------------


def login_rows() -> list[tuple[str, str, str, str]]:
    """(role label, username, password, whom it belongs to) for each demo login present."""
    wanted = [lg.username for lg in LOGINS] + [SUPERUSER]
    users = {
        u.username: u
        for u in User.objects.filter(username__in=wanted)
        .select_related("authority", "enterprise", "worker")
        .prefetch_related("projects", "authority__jurisdictions")
    }
    rows = []
    for username in wanted:
        user = users.get(username)
        if user is None:
            continue
        rows.append((user.role_label, username, DEMO_PASSWORD, _belongs(user)))
    return rows


def _belongs(user: User) -> str:
    if user.is_superuser and not user.role:
        return f"{user.display_name}（后台 /admin/）"
    if user.role in AUTHORITY_ROLES and user.authority:
        authority = user.authority
        if authority.city_wide:
            return f"{authority.name}（全市）"
        places = "、".join(j.short_name for j in authority.jurisdictions.all())
        return f"{authority.name}（{places}）"
    if user.role in ENTERPRISE_ROLES and user.enterprise:
        assigned = "、".join(p.name for p in user.projects.all())
        who = (
            f"{user.display_name}，"
            if user.role in {Role.PROJECT_MANAGER, Role.SUPERVISION_MANAGER}
            else ""
        )
        return f"{who}{user.enterprise.name}" + (
            f"；项目：{assigned}" if assigned else "（全部项目）"
        )
    if user.role == Role.WORKER and user.worker:
        on = Employment.objects.filter(worker=user.worker, status=Employment.Status.ACTIVE)
        sites = "、".join(e.project.name for e in on.select_related("project"))
        return f"{user.worker.name}（在场：{sites or '无'}）"
    return user.display_name
