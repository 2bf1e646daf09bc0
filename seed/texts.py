"""Chinese text of generated records: numerals, meeting titles and topics, contact notes,
station names and addresses."""

from __future__ import annotations

import random

from seed.model import between, pick
from seed.world import Congress, Region

DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 -> 一, 12 -> 十二, 20 -> 二十, 105 -> 一百零五 (for terms and meeting numbers)."""
    if n < 10:
        return DIGITS[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else DIGITS[tens]) + "十" + (DIGITS[ones] if ones else "")
    hundreds, rest = divmod(n, 100)
    head = DIGITS[hundreds] + "百"
    if rest == 0:
        return head
    if rest < 10:
        return head + "零" + DIGITS[rest]
    return head + (DIGITS[1] if rest < 20 else "") + chinese_number(rest)


def meeting_title(congress: Congress, number: int) -> str:
    term = chinese_number(congress.term.number)
    if congress.level == "NATIONAL":
        return f"第{term}届全国人民代表大会常务委员会第{chinese_number(number)}次会议"
    return f"{congress.title}第{term}届人民代表大会常务委员会第{chinese_number(number)}次会议"


WORK_AREAS = (
    "乡村振兴",
    "生态环境保护",
    "民生实事项目",
    "义务教育",
    "医疗卫生",
    "安全生产",
    "优化营商环境",
    "养老服务",
    "就业创业",
    "国有资产管理",
    "审计查出问题整改",
    "城市更新",
    "基层治理",
)
LOCAL_LAWS = (
    "物业管理",
    "生态环境保护",
    "农村人居环境治理",
    "优化营商环境",
    "历史文化名城保护",
    "养老服务",
    "全民健身",
    "城市绿化",
    "水资源保护",
    "文明行为促进",
    "河道管理",
    "消防",
    "市容和环境卫生管理",
)
# Provinces of the northeastern black-soil belt, where such a regulation is a local topic.
BLACK_SOIL = {"150000", "210000", "220000", "230000"}
NATIONAL_LAWS = ("民营经济促进", "能源", "农村集体经济组织", "学前教育", "医疗保障", "国家公园")
INSPECTED_LAWS = (
    "食品安全法",
    "环境保护法",
    "义务教育法",
    "农产品质量安全法",
    "安全生产法",
    "水污染防治法",
)
COURT = {"NATIONAL": "最高人民法院", "PROVINCIAL": "高级人民法院", "PREFECTURAL": "中级人民法院"}


def meeting_topics(rng: random.Random, congress: Congress, year: int) -> list[str]:
    national = congress.level == "NATIONAL"
    place = congress.title
    government = "国务院" if national else f"{place}人民政府"
    court = COURT["NATIONAL"] if national else place + COURT.get(congress.level, "人民法院")
    procuratorate = "最高人民检察院" if national else f"{place}人民检察院"
    candidates = [
        f"听取和审议{government}关于{rng.choice(WORK_AREAS)}工作情况的报告",
        f"审议{government}关于{year}年上半年国民经济和社会发展计划执行情况的报告",
        f"审议关于批准{year - 1}年{'中央' if national else '本级'}决算的决议（草案）",
        f"听取和审议{court}关于{rng.choice(('行政审判', '执行', '少年审判'))}工作情况的报告",
        f"听取和审议{procuratorate}关于{rng.choice(('公益诉讼', '民事检察'))}工作情况的报告",
        f"审议关于检查{rng.choice(INSPECTED_LAWS)}实施情况的报告",
        "审议关于代表建议、批评和意见办理情况的报告",
    ]
    if national:
        candidates.append(f"审议{rng.choice(NATIONAL_LAWS)}法（草案）")
    elif congress.level in ("PROVINCIAL", "PREFECTURAL"):
        laws = LOCAL_LAWS + (
            ("黑土地保护",) if congress.region.province().code in BLACK_SOIL else ()
        )
        candidates.append(f"审议《{place}{pick(rng, laws)}条例（草案）》")
    topics = rng.sample(candidates, rng.randint(2, 3))
    if rng.random() < 0.6:
        topics.append("审议人事任免事项")
    return topics


CONTACT_TOPICS = (
    "乡村振兴",
    "营商环境",
    "生态环境保护",
    "教育",
    "医疗卫生",
    "养老服务",
    "安全生产",
    "城市更新",
    "就业",
    "基层治理",
    "食品安全",
    "交通建设",
)
CONTACT_NOTES = {
    "PHONE": (
        "电话了解代表近期履职情况",
        "电话沟通代表建议办理进展",
        "电话征求对{}工作的意见建议",
        "电话通报常委会近期工作安排",
    ),
    "VISIT": (
        "走访代表，听取对{}工作的意见建议",
        "到代表所在单位走访，了解生产经营情况",
        "走访代表，了解基层群众关切的{}问题",
    ),
    "MEETING": (
        "邀请代表参加{}座谈会",
        "召开代表座谈会，通报常委会工作",
        "邀请代表参加常委会{}专题调研",
    ),
    "ONLINE": (
        "通过履职平台线上交流{}问题",
        "线上征求代表对{}工作的意见",
        "微信沟通代表建议办理情况",
    ),
}


def contact_note(rng: random.Random, channel: str) -> str:
    return pick(rng, CONTACT_NOTES[channel]).format(pick(rng, CONTACT_TOPICS))


PLACE_WORDS = [
    "和平",
    "幸福",
    "新华",
    "建设",
    "胜利",
    "光明",
    "团结",
    "友谊",
    "东风",
    "红旗",
    "前进",
    "北山",
    "南岭",
    "东升",
    "西河",
    "长青",
    "桃园",
    "柳林",
    "青松",
    "河东",
    "河西",
    "双桥",
    "三里",
    "五里",
    "太平",
    "永安",
    "兴隆",
    "富民",
    "民主",
    "新兴",
    "向阳",
    "朝阳",
    "金城",
    "银河",
    "龙泉",
    "凤凰",
    "白云",
    "石桥",
    "王庄",
    "李庄",
    "张家",
    "刘家",
    "高家",
    "马家",
    "新城",
    "园林",
    "文化",
    "人民",
    "解放",
    "中山",
    "长安",
    "安康",
    "和谐",
    "振兴",
    "繁荣",
    "明珠",
    "锦绣",
    "清河",
    "平安",
    "春光",
    "丰收",
    "六合",
    "九龙",
    "七星",
    "梨树",
    "杏花",
    "松林",
    "榆树",
    "枫林",
    "荷塘",
    "莲花",
    "金山",
]
STREETS = [
    "人民路",
    "解放路",
    "中山路",
    "建设路",
    "新华路",
    "胜利路",
    "和平路",
    "友谊路",
    "光明街",
    "文化路",
    "长江路",
    "黄河路",
    "府前街",
    "朝阳路",
    "青年路",
    "幸福路",
    "团结路",
    "兴华街",
    "迎宾路",
    "健康路",
]


def place_words(rng: random.Random, count: int) -> list[str]:
    """Distinct names of villages or communities."""
    if count <= len(PLACE_WORDS):
        return rng.sample(PLACE_WORDS, count)
    return [f"{rng.choice(PLACE_WORDS)}{i + 1}" for i in range(count)]


def full_place(region: Region) -> str:
    """'吉林省辽源市龙山区向阳街道': the region's name after those above it (not the nation)."""
    return "".join(r.name for r in reversed(region.ancestors()[:-1]))


def street_address(rng: random.Random, region: Region) -> str:
    return f"{full_place(region)}{pick(rng, STREETS)}{between(rng, 1, 399)}号"
