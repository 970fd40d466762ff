"""Synthetic but consistent base registries: households, persons, entities, and the demo people.

Consistency the generator guarantees (tests check it): valid and unique ID numbers (GB 11643, one
city's region codes, order codes unique per region + birth date + sex), spouses linked both ways and
both married, children at least 18 years younger than their parents, adults with phones, the dead
with their spouse widowed and either deregistered (entry closed) or holding the open 注销户口 and
停发养老金 tasks that the died event's subscribers would have created (event, outbox and deliveries
included), entities with valid USCCs whose legal representatives are living adults of the population.

Speed: rows are built in Python (encryption and blind index included, no query per row) and written
per chunk: COPY on PostgreSQL, executemany elsewhere; primary keys are assigned up front so that the
links between rows need no round trip. All in one transaction: a failed run leaves nothing behind.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from yiwang.core.crypto import blind_index, encrypt
from yiwang.core.ids import make_entity_uscc, make_id_number

from . import demo
from .constants import (
    EVENT_SOURCES,
    EntityKind,
    EntityStatus,
    EntryStatus,
    EventKind,
    HouseholdRelation,
    MaritalStatus,
    TaskKind,
    TaskStatus,
)
from .models import (
    Delivery,
    Entity,
    FollowUpTask,
    Household,
    OutboxMessage,
    Person,
    RegistryEvent,
    Subscription,
)
from .services import TASK_TITLES, household_number

# One city: Hangzhou. 下城区 (330103) and 江干区 (330104) were merged away in 2021 but remain in the ID
# numbers of people registered before, so they appear in numbers, not in current addresses.
REGIONS = {
    "330102": "上城区", "330103": "下城区", "330104": "江干区", "330105": "拱墅区", "330106": "西湖区",
    "330108": "滨江区", "330109": "萧山区", "330110": "余杭区", "330111": "富阳区", "330112": "临安区",
    "330113": "临平区", "330114": "钱塘区",
}
CURRENT_REGIONS = [r for r in REGIONS if r not in ("330103", "330104")]
STREETS = ["解放路", "延安路", "庆春路", "凤起路", "体育场路", "文一路", "文二路", "文三路", "教工路", "学院路",
           "莫干山路", "湖墅南路", "江南大道", "滨盛路", "金城路", "人民路", "古墩路", "天目山路", "秋涛路",
           "钱江路", "之江路", "西溪路", "丰潭路", "建国路", "中河路", "环城北路", "东新路", "石桥路"]
# The 40 commonest surnames with rough weights (‰ of the population).
SURNAMES = [("王", 72), ("李", 72), ("张", 68), ("刘", 53), ("陈", 54), ("杨", 31), ("黄", 23), ("赵", 22),
            ("吴", 20), ("周", 19), ("徐", 17), ("孙", 15), ("马", 15), ("朱", 14), ("胡", 13), ("郭", 12),
            ("何", 12), ("高", 11), ("林", 11), ("罗", 10), ("郑", 10), ("梁", 9), ("谢", 8), ("宋", 7),
            ("唐", 7), ("许", 7), ("韩", 6), ("冯", 6), ("邓", 6), ("曹", 6), ("彭", 5), ("曾", 5), ("肖", 5),
            ("田", 5), ("董", 5), ("袁", 5), ("潘", 4), ("蒋", 4), ("蔡", 4), ("沈", 4), ("欧阳", 1),
            ("诸葛", 0.3)]
GIVEN_MALE = list("伟强磊军洋勇杰涛明超华建国平刚辉斌鹏宇浩俊峰毅晨博文轩子豪一凡睿泽皓然思远嘉诚天佑志航")
GIVEN_FEMALE = list("芳娜敏静丽艳娟霞秀英玲桂兰婷雪琳颖欣怡梓涵诗雨佳琪晓萱可馨若彤语嫣思婉晴梦瑶")
ETHNICITIES = [("汉族", 980), ("畲族", 6), ("回族", 5), ("满族", 4), ("土家族", 3), ("苗族", 2)]
PHONE_PREFIXES = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155",
                  "157", "158", "159", "166", "173", "177", "180", "181", "186", "187", "188", "189", "199"]
BRAND_CHARS = list("华盛新恒信达鑫源通泰丰和嘉宏瑞祥兴隆金鼎安康明德博远云帆创启晨星蓝海青禾佳品优")
INDUSTRIES = ["餐饮管理", "科技", "贸易", "网络科技", "文化传媒", "建筑工程", "物业管理", "电子商务", "信息技术",
              "咨询服务", "教育科技", "医疗器械", "服装", "食品", "物流", "装饰设计", "生物科技", "环保科技"]
SHOPS = ["小吃店", "便利店", "理发店", "水果店", "面馆", "五金店", "服装店", "茶叶店", "早餐店", "花店"]

CHUNK = 20_000
ENTITY_RATIO = 50  # one legal person per 50 persons
DEMO_SEED = 20260101


class PopulationExists(Exception):
    """The registry is not empty and adding to it was not asked for."""


@dataclass(eq=False)
class H:
    region: str
    address: str
    registered_on: dt.date
    pk: int = 0


@dataclass(eq=False)
class P:
    name: str
    sex: str
    birth: dt.date
    id_number: str
    household: H | None = None
    relation: str = HouseholdRelation.HEAD
    marital: str = MaritalStatus.UNMARRIED
    spouse: P | None = None
    father: P | None = None
    mother: P | None = None
    died_on: dt.date | None = None
    entry: str = EntryStatus.ACTIVE
    phone: str = ""
    ethnicity: str = "汉族"
    birth_place: str = ""
    surname: str = ""
    pending_deregistration: bool = False  # recently dead: the tasks exist, GAJ has not closed the entry
    pk: int = 0


@dataclass
class E:
    uscc: str
    name: str
    kind: str
    rep: P
    address: str
    registered_on: dt.date
    status: str = EntityStatus.ACTIVE


@dataclass
class PopulationReport:
    persons: int = 0
    households: int = 0
    entities: int = 0
    dead: int = 0
    open_deregistration_tasks: int = 0
    demo_created: bool = False
    counts: dict = field(default_factory=dict)


def _years(n: float) -> dt.timedelta:
    return dt.timedelta(days=round(n * 365.25))


class Generator:
    """Builds households in memory, chunk by chunk. Random but reproducible for a given seed."""

    def __init__(self, *, seed: int, today: dt.date, taken_id_hashes: set[str], taken_phone_hashes: set[str],
                 taken_usccs: set[str], taken_entity_names: set[str]):
        self.rng = random.Random(seed)
        self.today = today
        self.taken_id_hashes = taken_id_hashes
        self.taken_phone_hashes = taken_phone_hashes
        self.used_ids: set[str] = set()
        self.used_phones: set[str] = set(demo.DEMO_PHONES.values())
        self.taken_usccs = taken_usccs
        self.entity_names = taken_entity_names
        self.uscc_serial = self.rng.randrange(10_000_000, 60_000_000)
        self._surnames, self._surname_w = zip(*SURNAMES, strict=True)
        self._eth, self._eth_w = zip(*ETHNICITIES, strict=True)

    # --- single values ---------------------------------------------------------------------------

    def surname(self) -> str:
        return self.rng.choices(self._surnames, self._surname_w)[0]

    def given(self, sex: str) -> str:
        pool = GIVEN_MALE if sex == "M" else GIVEN_FEMALE
        return "".join(self.rng.choice(pool) for _ in range(self.rng.choice((1, 2, 2, 2))))

    def id_number(self, birth: dt.date, sex: str, region: str | None = None) -> str:
        region = region or self.rng.choice(list(REGIONS))
        for _attempt in range(1000):
            number = make_id_number(region, birth, self.rng.randrange(500), sex)
            if number not in self.used_ids and (
                    not self.taken_id_hashes or blind_index(number, purpose="id") not in self.taken_id_hashes):
                self.used_ids.add(number)
                return number
        raise RuntimeError("no free order code")  # 500 per region, day and sex: unreachable in practice

    def phone(self) -> str:
        while True:
            number = self.rng.choice(PHONE_PREFIXES) + f"{self.rng.randrange(100_000_000):08d}"
            if number not in self.used_phones and (
                    not self.taken_phone_hashes or blind_index(number, purpose="phone") not in self.taken_phone_hashes):
                self.used_phones.add(number)
                return number

    def address(self, region: str) -> str:
        r = self.rng
        return (f"浙江省杭州市{REGIONS[region]}{r.choice(STREETS)}{r.randrange(1, 400)}号"
                f"{r.randrange(1, 30)}幢{r.randrange(1, 5)}单元{r.randrange(1, 30)}{r.randrange(1, 5):02d}室")

    def birth_between(self, oldest: float, youngest: float) -> dt.date:
        """A birth date giving an age between `youngest` and `oldest` years today."""
        return self.today - dt.timedelta(days=self.rng.randrange(round(youngest * 365.25), round(oldest * 365.25)))

    def person(self, sex: str, birth: dt.date, *, surname: str | None = None) -> P:
        ethnicity = self.rng.choices(self._eth, self._eth_w)[0]
        number = self.id_number(birth, sex)
        surname = surname or self.surname()
        return P(name=surname + self.given(sex), surname=surname, sex=sex, birth=birth, id_number=number,
                 ethnicity=ethnicity, birth_place=f"浙江省杭州市{REGIONS[number[:6]]}")

    def household(self, head_birth: dt.date) -> H:
        region = self.rng.choice(CURRENT_REGIONS)
        registered = max(head_birth + _years(self.rng.uniform(18, 35)), dt.date(1985, 1, 1))
        return H(region=region, address=self.address(region), registered_on=min(registered, self.today))

    # --- relations ---------------------------------------------------------------------------------

    @staticmethod
    def marry(a: P, b: P) -> None:
        a.marital = b.marital = MaritalStatus.MARRIED
        a.spouse, b.spouse = b, a

    def die(self, p: P, *, recent: bool) -> None:
        """A death; the spouse is widowed (what MZJ's subscriber does) and the links cleared."""
        earliest = max(p.birth + _years(40), self.today - _years(30))
        if recent:
            earliest = max(earliest, self.today - dt.timedelta(days=90))
        span = max((self.today - earliest).days, 1)
        p.died_on = earliest + dt.timedelta(days=self.rng.randrange(span))
        if p.spouse is not None:
            p.spouse.marital, p.spouse.spouse = MaritalStatus.WIDOWED, None
            p.spouse = None
        if recent and self.rng.random() < 0.5:
            p.pending_deregistration = True  # entry still active, tasks open
        else:
            p.entry = EntryStatus.CLOSED

    def join(self, h: H, p: P, relation: str) -> None:
        p.household, p.relation = h, relation

    # --- household templates -----------------------------------------------------------------------

    def family(self) -> list[P]:
        husband = self.person("M", self.birth_between(58, 24))
        wife_birth = max(husband.birth + dt.timedelta(days=self.rng.randrange(-5 * 365, 3 * 365)),
                         husband.birth - _years(8))
        wife_birth = min(wife_birth, self.today - _years(21))
        wife = self.person("F", wife_birth)
        self.marry(husband, wife)
        h = self.household(husband.birth)
        self.join(h, husband, HouseholdRelation.HEAD)
        self.join(h, wife, HouseholdRelation.SPOUSE)
        people = [husband, wife]
        first_possible = max(wife.birth + _years(21), husband.birth + _years(23))
        for _ in range(self.rng.choice((0, 1, 1, 1, 2, 2, 3))):
            latest = min(wife.birth + _years(42), self.today)
            if first_possible >= latest:
                break
            birth = first_possible + dt.timedelta(days=self.rng.randrange((latest - first_possible).days))
            child = self.person(self.rng.choice("MF"), birth, surname=husband.surname
                                if self.rng.random() < 0.9 else wife.surname)
            child.father, child.mother = husband, wife
            self.join(h, child, HouseholdRelation.CHILD)
            people.append(child)
            first_possible = birth + dt.timedelta(days=300)
        if self.rng.random() < 0.2:  # the husband's parents live with them
            people += self.grandparents(husband, h)
        return people

    def grandparents(self, son: P, h: H) -> list[P]:
        mother = self.person("F", son.birth - _years(self.rng.uniform(22, 36)))
        father_birth = min(mother.birth - _years(self.rng.uniform(-2, 5)), son.birth - _years(23))
        father = self.person("M", father_birth, surname=son.surname)
        son.father, son.mother = father, mother
        self.marry(father, mother)
        self.join(h, father, HouseholdRelation.PARENT)
        self.join(h, mother, HouseholdRelation.PARENT)
        if self.rng.random() < 0.3 and father.birth < self.today - _years(60):
            self.die(father, recent=self.rng.random() < 0.2)
        return [father, mother]

    def single(self) -> list[P]:
        p = self.person(self.rng.choice("MF"), self.birth_between(40, 18))
        self.join(self.household(p.birth), p, HouseholdRelation.HEAD)
        return [p]

    def elderly_couple(self) -> list[P]:
        husband = self.person("M", self.birth_between(92, 60))
        wife = self.person("F", min(husband.birth + _years(self.rng.uniform(-3, 6)), self.today - _years(58)))
        self.marry(husband, wife)
        h = self.household(husband.birth)
        self.join(h, husband, HouseholdRelation.HEAD)
        self.join(h, wife, HouseholdRelation.SPOUSE)
        if self.rng.random() < 0.08:  # a recent death: the follow-up work is under way
            self.die(self.rng.choice((husband, wife)), recent=True)
        return [husband, wife]

    def widowed(self) -> list[P]:
        survivor = self.person(self.rng.choice("FFM"), self.birth_between(96, 62))
        other_sex = "M" if survivor.sex == "F" else "F"
        late = self.person(other_sex, survivor.birth + _years(self.rng.uniform(-5, 3)))
        self.marry(survivor, late)
        h = self.household(survivor.birth)
        self.join(h, survivor, HouseholdRelation.HEAD)
        self.join(h, late, HouseholdRelation.SPOUSE)
        self.die(late, recent=False)
        return [survivor, late]

    def divorced(self) -> list[P]:
        """Two households: a divorced parent with the children, and the former spouse alone."""
        father = self.person("M", self.birth_between(60, 28))
        mother = self.person("F", min(father.birth + _years(self.rng.uniform(-3, 5)), self.today - _years(26)))
        father.marital = mother.marital = MaritalStatus.DIVORCED
        keeper, other = (mother, father) if self.rng.random() < 0.7 else (father, mother)
        h1, h2 = self.household(keeper.birth), self.household(other.birth)
        self.join(h1, keeper, HouseholdRelation.HEAD)
        self.join(h2, other, HouseholdRelation.HEAD)
        people = [father, mother]
        start = max(mother.birth + _years(22), father.birth + _years(23))
        for _ in range(self.rng.choice((0, 1, 1, 2))):
            if start >= self.today:
                break
            birth = start + dt.timedelta(days=self.rng.randrange(max((self.today - start).days, 1)))
            child = self.person(self.rng.choice("MF"), birth, surname=father.surname)
            child.father, child.mother = father, mother
            self.join(h1, child, HouseholdRelation.CHILD)
            people.append(child)
            start = birth + dt.timedelta(days=300)
        return people

    TEMPLATES = (("family", 40), ("single", 22), ("elderly_couple", 14), ("widowed", 8), ("divorced", 5))

    def households(self, remaining: int) -> list[P]:
        names, weights = zip(*self.TEMPLATES, strict=True)
        people = getattr(self, self.rng.choices(names, weights)[0])()
        if len(people) > remaining:  # the last few: single persons, so the total is exact
            people = []
            for _ in range(remaining):
                people += self.single()
        for p in people:
            if not p.phone and p.died_on is None and p.birth <= self.today - _years(18):
                p.phone = self.phone()
        return people

    # --- entities ----------------------------------------------------------------------------------

    def entity(self, rep: P) -> E:
        r = self.rng
        kind = r.choices([EntityKind.COMPANY, EntityKind.SOLE, EntityKind.PARTNERSHIP], [70, 25, 5])[0]
        region = r.choice(CURRENT_REGIONS)
        district = REGIONS[region]
        while True:
            brand = r.choice(BRAND_CHARS) + r.choice(BRAND_CHARS)
            if kind == EntityKind.SOLE:
                name = f"杭州市{district}{brand}{r.choice(SHOPS)}"
            elif kind == EntityKind.PARTNERSHIP:
                name = f"杭州{brand}{r.choice(INDUSTRIES)}合伙企业（有限合伙）"
            else:
                name = f"杭州{brand}{r.choice(INDUSTRIES)}有限公司"
            if name not in self.entity_names:
                self.entity_names.add(name)
                break
        while True:
            self.uscc_serial += 1
            uscc = make_entity_uscc(registry="92" if kind == EntityKind.SOLE else "91", region=region,
                                    serial=self.uscc_serial)
            if uscc not in self.taken_usccs:
                self.taken_usccs.add(uscc)
                break
        earliest = max(rep.birth + _years(20), dt.date(2000, 1, 1))
        registered = earliest + dt.timedelta(days=r.randrange(max((self.today - earliest).days, 1)))
        return E(uscc=uscc, name=name, kind=kind, rep=rep, address=self.address(region), registered_on=registered,
                 status=EntityStatus.DEREGISTERED if r.random() < 0.04 else EntityStatus.ACTIVE)


def demo_block(gen: Generator) -> tuple[list[P], list[E]]:
    """The demo people of demo.py in their households, and the demo company."""
    by_key = {}
    for key, (name, sex, birth, number) in demo.DEMO_PEOPLE.items():
        gen.used_ids.add(number)
        by_key[key] = P(name=name, sex=sex, birth=birth, id_number=number, phone=demo.DEMO_PHONES.get(key, ""),
                        birth_place=f"浙江省杭州市{REGIONS[number[:6]]}")
    citizen, spouse, child = by_key["citizen"], by_key["citizen_spouse"], by_key["citizen_child"]
    home = H(region=demo.DEMO_REGION, address=demo.DEMO_ADDRESS, registered_on=dt.date(2014, 9, 1))
    gen.marry(citizen, spouse)
    gen.join(home, citizen, HouseholdRelation.HEAD)
    gen.join(home, spouse, HouseholdRelation.SPOUSE)
    gen.join(home, child, HouseholdRelation.CHILD)
    child.father, child.mother = citizen, spouse
    widow = by_key["citizen2"]
    late = P(name="张国华", sex="M", birth=dt.date(1945, 7, 1), id_number=gen.id_number(dt.date(1945, 7, 1), "M",
             demo.DEMO_REGION), birth_place="浙江省杭州市上城区")
    gen.marry(widow, late)
    h2 = H(region=demo.DEMO_REGION, address="浙江省杭州市上城区清泰街210号3幢2单元201室",
           registered_on=dt.date(1985, 3, 1))
    gen.join(h2, widow, HouseholdRelation.HEAD)
    gen.join(h2, late, HouseholdRelation.SPOUSE)
    late.died_on = dt.date(2019, 11, 20)
    widow.marital, widow.spouse, late.spouse, late.entry = MaritalStatus.WIDOWED, None, None, EntryStatus.CLOSED
    people = [citizen, spouse, child, widow, late]
    for key, address in (("enterprise", "浙江省杭州市上城区望江路66号5幢1单元502室"),
                         ("legal_rep", "浙江省杭州市上城区秋涛路300号2幢3单元1101室")):
        p = by_key[key]
        gen.join(H(region=demo.DEMO_REGION, address=address, registered_on=dt.date(2010, 6, 1)), p,
                 HouseholdRelation.HEAD)
        people.append(p)
    c = demo.DEMO_COMPANY
    gen.taken_usccs.add(c["uscc"])
    gen.entity_names.add(c["name"])
    company = E(uscc=c["uscc"], name=c["name"], kind=c["kind"], rep=by_key[c["legal_rep"]], address=c["address"],
                registered_on=c["registered_on"])
    return people, [company]


# --- writing ---------------------------------------------------------------------------------------

PERSON_COLUMNS = ["id", "created_at", "updated_at", "id_number", "id_number_hash", "name", "sex", "birth_date",
                  "birth_place", "ethnicity", "address", "phone", "phone_hash", "household_id",
                  "household_relation", "entry_status", "marital_status", "spouse_id", "father_id", "mother_id",
                  "died_on"]
HOUSEHOLD_COLUMNS = ["id", "created_at", "updated_at", "number", "address", "region", "registered_on"]
ENTITY_COLUMNS = ["id", "created_at", "updated_at", "uscc", "name", "kind", "legal_representative_id",
                  "legal_representative_name", "address", "registered_on", "status"]


class Writer:
    def __init__(self, today: dt.date):
        self.today = today
        self.pg = connection.vendor == "postgresql"
        now = timezone.now()
        self.now = connection.ops.adapt_datetimefield_value(now)
        self.aware_now = now
        self.date: Callable = (lambda d: d) if self.pg else (lambda d: d.isoformat() if d else None)
        self.next = {m: (m.objects.aggregate(m=Max("id"))["m"] or 0) + 1 for m in (Household, Person, Entity)}

    def lock(self) -> None:
        if self.pg:
            with connection.cursor() as c:
                c.execute("LOCK TABLE registry_household, registry_person, registry_entity "
                          "IN SHARE ROW EXCLUSIVE MODE")

    def take(self, model, n: int) -> int:
        first = self.next[model]
        self.next[model] += n
        return first

    def insert(self, table: str, columns: list[str], rows: Iterator[tuple]) -> None:
        with connection.cursor() as c:
            if self.pg:
                with c.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(columns))
                # table and column names are this module's constants, never input
                sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608
                c.executemany(sql, list(rows))

    def write(self, people: list[P], entities: list[E]) -> None:
        households = list({id(p.household): p.household for p in people if p.household and not p.household.pk}
                          .values())
        first = self.take(Household, len(households))
        for i, h in enumerate(households):
            h.pk = first + i
        first = self.take(Person, len(people))
        for i, p in enumerate(people):
            p.pk = first + i
        now, d = self.now, self.date
        self.insert("registry_household", HOUSEHOLD_COLUMNS, (
            (h.pk, now, now, household_number(h.region, h.pk), h.address, h.region, d(h.registered_on))
            for h in households))
        self.insert("registry_person", PERSON_COLUMNS, (
            (p.pk, now, now, encrypt(p.id_number), blind_index(p.id_number, purpose="id"), p.name, p.sex,
             d(p.birth), p.birth_place, p.ethnicity, p.household.address if p.household else "",
             encrypt(p.phone) if p.phone else "", blind_index(p.phone, purpose="phone") if p.phone else "",
             p.household.pk if p.household else None, p.relation, p.entry, p.marital,
             p.spouse.pk if p.spouse else None, p.father.pk if p.father else None,
             p.mother.pk if p.mother else None, d(p.died_on))
            for p in people))
        first = self.take(Entity, len(entities))
        self.insert("registry_entity", ENTITY_COLUMNS, (
            (first + i, now, now, e.uscc, e.name, e.kind, e.rep.pk, e.rep.name, e.address, d(e.registered_on),
             e.status)
            for i, e in enumerate(entities)))
        self.followups([p for p in people if p.died_on and p.died_on >= self.today - dt.timedelta(days=90)
                        and (p.pending_deregistration or p.entry == EntryStatus.CLOSED)])

    def followups(self, recent: list[P]) -> None:
        """Recent deaths look as if the died event went through the outbox: event, published message,
        deliveries, and the two tasks (注销户口 done when the entry is already closed)."""
        if not recent:
            return
        subscriptions = list(Subscription.objects.filter(event_kind=EventKind.DIED, active=True))
        events = RegistryEvent.objects.bulk_create([
            RegistryEvent(kind=EventKind.DIED, person_id=p.pk, source_department=EVENT_SOURCES[EventKind.DIED],
                          occurred_on=p.died_on, data={}) for p in recent])
        OutboxMessage.objects.bulk_create([OutboxMessage(event=e, published_at=self.aware_now) for e in events])
        Delivery.objects.bulk_create([Delivery(event=e, subscription=s) for e in events for s in subscriptions])
        tasks = []
        for p, e in zip(recent, events, strict=True):
            closed = p.entry == EntryStatus.CLOSED
            for department, kind, done in (("RSJ", TaskKind.STOP_PENSION, closed),
                                           ("GAJ", TaskKind.DEREGISTER_HOUSEHOLD, closed)):
                tasks.append(FollowUpTask(department=department, kind=kind, event=e, person_id=p.pk,
                                          title=TASK_TITLES[kind],
                                          status=TaskStatus.DONE if done else TaskStatus.OPEN,
                                          done_at=self.aware_now if done else None))
        FollowUpTask.objects.bulk_create(tasks)

    def finish(self) -> None:
        with connection.cursor() as c:
            for sql in connection.ops.sequence_reset_sql(no_style(), [Household, Person, Entity]):
                c.execute(sql)


def _existing() -> dict:
    return {
        "id_hashes": set(Person.objects.values_list("id_number_hash", flat=True).iterator(chunk_size=20_000)),
        "phone_hashes": set(Person.objects.exclude(phone_hash="").values_list("phone_hash", flat=True)
                            .iterator(chunk_size=20_000)),
        "usccs": set(Entity.objects.values_list("uscc", flat=True)),
        "names": set(Entity.objects.values_list("name", flat=True)),
    }


def demo_people_present() -> bool:
    number = demo.DEMO_PEOPLE["citizen"][3]
    return Person.objects.filter(id_number_hash=blind_index(number, purpose="id")).exists()


@transaction.atomic
def generate_population(*, persons: int, seed: int | None = None, add: bool = False, progress: bool = False,
                        today: dt.date | None = None, chunk: int = CHUNK) -> PopulationReport:
    """Generate `persons` persons (the demo people included when they are missing).

    An empty registry is filled; a non-empty one only with `add=True` (new persons never collide with
    the existing ones), otherwise PopulationExists."""
    from tqdm import tqdm

    if persons < 0:
        raise ValueError("persons must be >= 0")
    today = today or timezone.localdate()
    writer = Writer(today)
    writer.lock()
    existing_count = Person.objects.count()
    if existing_count and not add:
        raise PopulationExists(existing_count)
    taken = _existing() if existing_count or Entity.objects.exists() else {
        "id_hashes": set(), "phone_hashes": set(), "usccs": set(), "names": set()}
    gen = Generator(seed=seed if seed is not None else random.randrange(2**32), today=today,
                    taken_id_hashes=taken["id_hashes"], taken_phone_hashes=taken["phone_hashes"],
                    taken_usccs=taken["usccs"], taken_entity_names=taken["names"])
    report = PopulationReport()
    people: list[P] = []
    entities: list[E] = []
    if not demo_people_present() and persons >= len(demo.DEMO_PEOPLE) + 1:
        people, entities = demo_block(gen)
        report.demo_created = True
    bar = tqdm(total=persons, unit="人", disable=not progress, mininterval=1)
    produced = len(people)
    entity_credit = 0.0
    while produced < persons or people:
        while produced < persons and len(people) < chunk:
            batch = gen.households(persons - produced)
            people += batch
            produced += len(batch)
            entity_credit += len(batch) / ENTITY_RATIO
        adults = [p for p in people if p.died_on is None and gen.today - _years(70) < p.birth < gen.today - _years(20)]
        while entity_credit >= 1 and adults:
            entities.append(gen.entity(gen.rng.choice(adults)))
            entity_credit -= 1
        writer.write(people, entities)
        report.persons += len(people)
        report.households += len({id(p.household) for p in people if p.household})
        report.entities += len(entities)
        report.dead += sum(1 for p in people if p.died_on)
        report.open_deregistration_tasks += sum(1 for p in people if p.pending_deregistration)
        bar.update(len(people))
        people, entities = [], []
    bar.close()
    writer.finish()
    return report
