"""One generated person: name, gender, ethnic group, birth, party, occupation, phone, ID."""

from __future__ import annotations

import random
from datetime import date, timedelta

from seed.model import pick
from seed.names import Weighted, person_name, pinyin_keys
from seed.params import (
    AGE_RANGE,
    AS_OF,
    FEMALE_SHARE,
    GRASSROOTS_SHARE,
    OFFICIAL_SHARE,
    OTHER_PARTIES,
    PARTY_SHARE,
)
from seed.world import Region

# Minority shares among deputies (above the population share, as the law guarantees seats),
# by province or prefecture code; the nearest listed ancestor of the locality applies.
ETHNIC_SHARES: dict[str, list[tuple[str, float]]] = {
    "110000": [("满族", 0.02), ("回族", 0.02)],
    "130000": [("满族", 0.04), ("回族", 0.01)],
    "150000": [("蒙古族", 0.22), ("满族", 0.02), ("回族", 0.01)],
    "210000": [("满族", 0.14), ("蒙古族", 0.02), ("朝鲜族", 0.01)],
    "220000": [("朝鲜族", 0.05), ("满族", 0.045), ("蒙古族", 0.006), ("回族", 0.005)],
    "222400": [("朝鲜族", 0.38), ("满族", 0.02)],
    "230000": [("满族", 0.03), ("朝鲜族", 0.008), ("蒙古族", 0.005)],
    "370000": [("回族", 0.008), ("满族", 0.003)],
    "410000": [("回族", 0.012)],
    "420000": [("土家族", 0.045), ("苗族", 0.004), ("回族", 0.002)],
    "422800": [("土家族", 0.5), ("苗族", 0.06), ("侗族", 0.02)],
    "420500": [("土家族", 0.12)],
    "430000": [("土家族", 0.05), ("苗族", 0.035), ("侗族", 0.015), ("瑶族", 0.012)],
    "450000": [("壮族", 0.34), ("瑶族", 0.04), ("苗族", 0.01), ("侗族", 0.01)],
    "460000": [("黎族", 0.17), ("苗族", 0.01)],
    "500000": [("土家族", 0.055), ("苗族", 0.02)],
    "510000": [("彝族", 0.04), ("藏族", 0.025), ("羌族", 0.004)],
    "520000": [
        ("苗族", 0.13),
        ("布依族", 0.08),
        ("侗族", 0.05),
        ("土家族", 0.045),
        ("彝族", 0.022),
        ("仡佬族", 0.015),
        ("水族", 0.01),
    ],
    "522600": [("苗族", 0.42), ("侗族", 0.3), ("布依族", 0.02), ("水族", 0.02)],
    "522700": [("布依族", 0.32), ("苗族", 0.16), ("水族", 0.07), ("瑶族", 0.01)],
    "522300": [("布依族", 0.36), ("苗族", 0.12)],
    "530000": [
        ("彝族", 0.12),
        ("白族", 0.035),
        ("哈尼族", 0.035),
        ("壮族", 0.028),
        ("傣族", 0.027),
        ("苗族", 0.026),
    ],
    "540000": [("藏族", 0.88), ("回族", 0.004)],
    "620000": [("回族", 0.055), ("藏族", 0.025), ("东乡族", 0.022)],
    "630000": [("藏族", 0.26), ("回族", 0.15), ("土族", 0.035), ("撒拉族", 0.02)],
    "640000": [("回族", 0.37)],
    "650000": [("维吾尔族", 0.46), ("哈萨克族", 0.07), ("回族", 0.045), ("柯尔克孜族", 0.008)],
}

GRASSROOTS_JOBS = Weighted(
    [
        ("农民", 14),
        ("种粮大户", 4),
        ("农民专业合作社理事长", 5),
        ("村党支部书记、村委会主任", 12),
        ("社区党委书记、居委会主任", 7),
        ("一线工人", 10),
        ("车间主任", 5),
        ("班组长", 4),
        ("技术员", 4),
        ("工程师", 5),
        ("高级技师", 3),
        ("乡村医生", 4),
        ("乡村教师", 5),
        ("护士", 3),
        ("快递员", 2),
        ("个体工商户", 5),
        ("返乡创业青年", 3),
        ("养殖户", 3),
        ("环卫工人", 1),
    ]
)
OTHER_JOBS = Weighted(
    [
        ("民营企业家", 10),
        ("中学校长", 5),
        ("小学校长", 4),
        ("医院院长", 5),
        ("主任医师", 4),
        ("大学教授", 4),
        ("研究员", 3),
        ("律师", 4),
        ("会计师", 2),
        ("作家", 1),
        ("记者", 1),
        ("文化馆馆长", 1),
        ("妇联主席", 3),
        ("工会主席", 3),
        ("共青团书记", 2),
        ("退役军人", 2),
    ]
)
OTHER_PARTY = Weighted(OTHER_PARTIES)
COMPANY_TRADES = (
    "建设",
    "农业发展",
    "食品",
    "电子科技",
    "机械制造",
    "物流",
    "医药",
    "新能源",
    "文化旅游",
)
HEAD_TITLE = {
    "PROVINCE": "省长",
    "MUNICIPALITY": "市长",
    "AUTONOMOUS_REGION": "主席",
    "CITY": "市长",
    "AUTONOMOUS_PREFECTURE": "州长",
    "DISTRICT": "区长",
    "COUNTY_CITY": "市长",
    "BANNER": "旗长",
    "AUTONOMOUS_BANNER": "旗长",
    "TOWN": "镇长",
    "TOWNSHIP": "乡长",
    "ETHNIC_TOWNSHIP": "乡长",
    "SUBDISTRICT": "街道办事处主任",
}
PHONE_PREFIXES = [
    "130",
    "131",
    "132",
    "133",
    "134",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "166",
    "173",
    "175",
    "176",
    "177",
    "180",
    "181",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "191",
    "195",
    "198",
    "199",
]
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


_ETHNIC_TABLES: dict[str, list[tuple[str, float]]] = {}


def _ethnic_table(locality: Region) -> list[tuple[str, float]]:
    table = _ETHNIC_TABLES.get(locality.code)
    if table is None:
        found = (ETHNIC_SHARES.get(r.code) for r in locality.ancestors())
        table = next((t for t in found if t is not None), [])
        _ETHNIC_TABLES[locality.code] = table
    return table


def ethnicity(rng: random.Random, locality: Region) -> str:
    draw = rng.random()
    for name, share in _ethnic_table(locality):
        if draw < share:
            return name
        draw -= share
    return "汉族"


def party(rng: random.Random, level: str, grassroots: bool) -> str:
    communist, others = PARTY_SHARE[level]
    draw = rng.random()
    if draw < communist:
        return "中国共产党"
    if draw < communist + others and not grassroots:
        return OTHER_PARTY(rng)
    # Non-party people are listed as 群众 at the two directly elected levels.
    return "群众" if level in ("COUNTY", "TOWNSHIP") else "无党派人士"


def occupation(
    rng: random.Random, level: str, congress_region: Region, locality: Region
) -> tuple[str, bool]:
    """(occupation, is_grassroots); officials' posts name the region they serve."""
    draw = rng.random()
    if draw < GRASSROOTS_SHARE[level]:
        return GRASSROOTS_JOBS(rng), True
    if draw < GRASSROOTS_SHARE[level] + OFFICIAL_SHARE[level]:
        office = office_region(rng, congress_region, locality)
        name = office.name
        head = HEAD_TITLE.get(office.kind)
        posts = [f"中共{name}委员会书记", f"{name}人大常委会主任"]
        if head:
            posts.append(f"{name}人民政府{head}" if head != "街道办事处主任" else name + head)
        if office.level != "TOWNSHIP":
            posts += [f"{name}人民法院院长", f"{name}人民检察院检察长", f"{name}教育局局长"]
        return pick(rng, posts), False
    if rng.random() < 0.3:
        county = locality.parent if locality.level == "TOWNSHIP" and locality.parent else locality
        trade = pick(rng, COMPANY_TRADES)
        return f"{county.name.rstrip('市县区旗')}{trade}有限公司董事长", False
    return OTHER_JOBS(rng), False


def birth_date(rng: random.Random, level: str) -> date:
    low, high, mode = AGE_RANGE[level]
    age = int(rng.triangular(low, high + 1, mode))
    return date(AS_OF.year - age, 1, 1) + timedelta(days=int(rng.random() * 365))


def phone(rng: random.Random) -> str:
    prefix = PHONE_PREFIXES[int(rng.random() * len(PHONE_PREFIXES))]
    return f"{prefix}{int(rng.random() * 100_000_000):08d}"


# Weighted digit sums of the area and birth-date parts of ID numbers, which recur a lot.
_ID_SUMS: dict[str, int] = {}


def _id_sum(digits: str, offset: int) -> int:
    key = f"{offset}:{digits}"
    total = _ID_SUMS.get(key)
    if total is None:
        total = sum(int(d) * w for d, w in zip(digits, ID_WEIGHTS[offset:], strict=False))
        _ID_SUMS[key] = total
    return total


def id_number(rng: random.Random, locality: Region, born: date, female: bool) -> str:
    """An 18-character resident ID: area code, birth date, sequence (odd for men), check."""
    order = int(rng.random() * 500) * 2 + (0 if female else 1)
    area = locality.code[:6]
    day = f"{born.year:04d}{born.month:02d}{born.day:02d}"
    total = _id_sum(area, 0) + _id_sum(day, 6) + _id_sum(f"{order:03d}", 14)
    return f"{area}{day}{order:03d}{ID_CHECK[total % 11]}"


def office_region(rng: random.Random, congress_region: Region, locality: Region) -> Region:
    """The region an official deputy serves: the congress's own region or one on the way down
    to where they live."""
    chain = locality.ancestors()
    top = chain.index(congress_region) if congress_region in chain else len(chain) - 1
    candidates = chain[: top + 1]
    if congress_region.level == "NATIONAL":
        candidates = candidates[:-1]
    return candidates[-1] if rng.random() < 0.5 else pick(rng, candidates)


def make_person(
    rng: random.Random, level: str, congress_region: Region, locality: Region
) -> tuple[tuple[object, ...], date]:
    """The deputies row (without id) for a new person, and the birth date."""
    female = rng.random() < FEMALE_SHARE[level]
    gender = "FEMALE" if female else "MALE"
    ethnic = ethnicity(rng, locality)
    name = person_name(rng, gender, ethnic)
    pinyin, vector = pinyin_keys(name)
    born = birth_date(rng, level)
    job, grassroots = occupation(rng, level, congress_region, locality)
    row = (
        name,
        pinyin,
        vector,
        gender,
        ethnic,
        born.year,
        born,
        phone(rng),
        id_number(rng, locality, born, female),
        party(rng, level, grassroots),
        job,
        grassroots,
        locality.code,
    )
    return row, born
