"""Chinese text of the duty-work generator: the 13 categories and 30 subcategories of
suggestions, the handling units of each level, suggestion titles and activity titles."""

from __future__ import annotations

import random
from dataclasses import dataclass

from seed.model import pick
from seed.roster import Body
from seed.texts import INSPECTED_LAWS, LOCAL_LAWS, NATIONAL_LAWS, WORK_AREAS, chinese_number

# Handling units by key: (national, provincial, prefectural, county) names or stems.
UNITS: dict[str, tuple[str, str, str, str]] = {
    "发改": ("国家发展和改革委员会", "发展和改革委员会", "发展和改革委员会", "发展和改革局"),
    "工信": ("工业和信息化部", "工业和信息化厅", "工业和信息化局", "工业和信息化局"),
    "科技": ("科学技术部", "科学技术厅", "科学技术局", "科学技术局"),
    "市场": ("国家市场监督管理总局", "市场监督管理局", "市场监督管理局", "市场监督管理局"),
    "财政": ("财政部", "财政厅", "财政局", "财政局"),
    "金融": ("国家金融监督管理总局", "地方金融管理局", "地方金融管理局", "财政局"),
    "农业": ("农业农村部", "农业农村厅", "农业农村局", "农业农村局"),
    "乡村": ("国家乡村振兴局", "乡村振兴局", "乡村振兴局", "乡村振兴局"),
    "住建": ("住房和城乡建设部", "住房和城乡建设厅", "住房和城乡建设局", "住房和城乡建设局"),
    "交通": ("交通运输部", "交通运输厅", "交通运输局", "交通运输局"),
    "环境": ("生态环境部", "生态环境厅", "生态环境局", "生态环境分局"),
    "自然": ("自然资源部", "自然资源厅", "自然资源局", "自然资源局"),
    "林草": ("国家林业和草原局", "林业和草原局", "林业局", "林业局"),
    "水利": ("水利部", "水利厅", "水利局", "水利局"),
    "教育": ("教育部", "教育厅", "教育局", "教育局"),
    "文旅": ("文化和旅游部", "文化和旅游厅", "文化广电和旅游局", "文化广电和旅游局"),
    "体育": ("国家体育总局", "体育局", "体育局", "文化广电和旅游局"),
    "卫健": ("国家卫生健康委员会", "卫生健康委员会", "卫生健康委员会", "卫生健康局"),
    "医保": ("国家医疗保障局", "医疗保障局", "医疗保障局", "医疗保障局"),
    "人社": (
        "人力资源和社会保障部",
        "人力资源和社会保障厅",
        "人力资源和社会保障局",
        "人力资源和社会保障局",
    ),
    "民政": ("民政部", "民政厅", "民政局", "民政局"),
    "司法": ("司法部", "司法厅", "司法局", "司法局"),
    "法院": ("最高人民法院", "高级人民法院", "中级人民法院", "人民法院"),
    "政务": ("国务院办公厅", "政务服务和数据管理局", "政务服务和数据管理局", "政务服务中心"),
    "应急": ("应急管理部", "应急管理厅", "应急管理局", "应急管理局"),
    "公安": ("公安部", "公安厅", "公安局", "公安局"),
}
LEVEL_COLUMN = {"NATIONAL": 0, "PROVINCIAL": 1, "PREFECTURAL": 2, "COUNTY": 3}

# A category line: code and name. A subcategory line: code, name | lead unit | co-handling
# units | title phrases ("{p}" is the congress's place). 13 categories, 30 subcategories.
CATEGORY_TABLE = """
01 经济发展
01.01 产业发展 | 发改 | 工信 | 推动{p}先进制造业集群发展; 支持县域特色产业做大做强; 加快传统产业数字化转型
01.02 营商环境 | 市场 | 发改 政务 | 进一步优化{p}营商环境; 减轻中小微企业经营负担; 规范涉企行政检查
01.03 科技创新 | 科技 | 工信 财政 | 加大科技型中小企业扶持力度; 建设{p}科技成果转化平台; 完善企业研发费用补助政策
02 财政金融
02.01 财政预算 | 财政 | 发改 | 加强财政资金绩效管理; 加大对欠发达地区转移支付力度; 规范政府投资项目预算管理
02.02 金融服务 | 金融 | 财政 | 扩大普惠金融覆盖面; 破解小微企业融资难题; 加强农村金融服务网点建设
03 农业农村
03.01 乡村振兴 | 乡村 | 农业 财政 | 巩固拓展脱贫攻坚成果; 发展{p}乡村特色产业; 壮大村级集体经济
03.02 农业生产 | 农业 | 水利 | 加强高标准农田建设; 保障种粮农民收益; 推进农业机械化和社会化服务
03.03 农村基础设施 | 交通 | 农业 水利 | 推进农村公路提档升级; 改善农村饮水安全条件; 完善农村人居环境整治长效机制
04 城乡建设
04.01 城市建设管理 | 住建 | 自然 | 加快{p}老旧小区改造; 完善城市排水防涝设施; 加强城市停车设施建设
04.02 住房保障 | 住建 | 财政 | 扩大保障性租赁住房供给; 解决新市民、青年人住房困难; 规范住宅专项维修资金使用
04.03 交通运输 | 交通 | 发改 公安 | 优化{p}城乡公交线网; 加快城际快速通道建设; 治理货车超限超载
05 生态环境
05.01 污染防治 | 环境 | 住建 | 加强{p}大气污染联防联控; 推进农村生活污水治理; 加强工业固体废物监管
05.02 生态保护 | 林草 | 自然 环境 | 加强重点流域生态保护修复; 推进国土绿化和森林防火; 健全生态保护补偿机制
05.03 资源利用 | 自然 | 水利 | 节约集约利用土地资源; 加强地下水超采治理; 推进矿山生态修复
06 教育
06.01 基础教育 | 教育 | 财政 | 缓解城区学校大班额问题; 加强乡村教师队伍建设; 落实义务教育课后服务
06.02 职业教育 | 教育 | 人社 | 深化产教融合校企合作; 加强{p}职业院校实训基地建设; 提升技能人才培养质量
07 文化旅游
07.01 文化事业 | 文旅 | 财政 | 加强{p}历史文化遗产保护; 完善基层公共文化服务设施; 扶持非物质文化遗产传承
07.02 旅游发展 | 文旅 | 交通 | 打造{p}全域旅游品牌; 完善旅游景区配套设施; 发展乡村旅游和民宿经济
07.03 体育事业 | 体育 | 教育 | 建设群众身边的体育健身设施; 推动公共体育场馆免费低收费开放; 加强青少年体育工作
08 医疗卫生
08.01 医疗服务 | 卫健 | 医保 | 提升县级医院综合服务能力; 加强乡村医生队伍建设; 推进紧密型县域医共体建设
08.02 公共卫生 | 卫健 | 财政 | 完善{p}疾病预防控制体系; 加强精神卫生服务; 推进老年人健康管理服务
09 社会保障
09.01 就业创业 | 人社 | 财政 | 做好高校毕业生就业服务; 加强农民工技能培训; 保障新就业形态劳动者权益
09.02 养老服务 | 民政 | 卫健 | 发展{p}社区居家养老服务; 加快农村互助养老设施建设; 推进医养结合
09.03 社会救助 | 民政 | 人社 医保 | 完善困难群众基本生活保障; 加强残疾人康复服务; 健全防止返贫动态监测机制
10 民主法治
10.01 法治建设 | 司法 | 公安 | 加强基层公共法律服务; 推进{p}法治乡村建设; 加强普法宣传教育
10.02 司法公正 | 法院 | 司法 | 解决执行难问题; 加强诉源治理; 完善多元化纠纷解决机制
11 政府建设
11.01 政务服务 | 政务 | 发改 | 推进政务服务“一网通办”; 提升基层便民服务中心服务能力; 减少群众办事证明材料
11.02 基层治理 | 民政 | 公安 | 减轻村和社区工作负担; 加强网格化服务管理; 完善{p}社区服务设施
12 安全生产
12.01 应急管理 | 应急 | 公安 | 加强{p}基层应急救援能力建设; 开展燃气安全隐患排查整治; 完善自然灾害监测预警
12.02 食品药品安全 | 市场 | 卫健 | 加强校园食品安全监管; 规范农村集体聚餐管理; 加强药品零售环节监管
13 其他 | 发改 | 财政 政务 | 解决群众反映强烈的{p}民生问题; 加强对口帮扶协作; 推进民族团结进步创建
"""


@dataclass(frozen=True)
class Heading:
    """A category or subcategory; a leaf carries what suggestions filed under it need."""

    code: str
    name: str
    lead: str = ""
    co: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()

    @property
    def top(self) -> bool:
        return "." not in self.code


def _parse(table: str) -> tuple[Heading, ...]:
    headings = []
    for line in table.strip().splitlines():
        head, *rest = (part.strip() for part in line.split("|"))
        code, name = head.split(" ", 1)
        if rest:
            lead, co, phrases = rest
            headings.append(
                Heading(
                    code,
                    name,
                    lead,
                    tuple(co.split()),
                    tuple(p.strip() for p in phrases.split(";")),
                )
            )
        else:
            headings.append(Heading(code, name))
    return tuple(headings)


CATEGORIES = _parse(CATEGORY_TABLE)


def _merged(top: Heading) -> Heading:
    """A category standing for all of its subcategories (a leaf of a one-level scheme)."""
    below = [h for h in CATEGORIES if h.code.startswith(top.code) and h.phrases]
    phrases = tuple(p for h in below for p in h.phrases)
    co = tuple(dict.fromkeys(c for h in below for c in h.co))
    return Heading(top.code, top.name, below[0].lead, co, phrases)


# Township congresses classify by the 13 categories alone.
TOP_CATEGORIES = tuple(_merged(h) for h in CATEGORIES if h.top)


def unit_name(body: Body, key: str) -> str:
    """A handling unit of the congress's own government: '吉林省教育厅', '东辽县教育局'."""
    if body.level == "TOWNSHIP":
        return body.region_name + "人民政府"
    names = UNITS[key]
    if body.level == "NATIONAL":
        return names[0]
    return body.region_name + names[LEVEL_COLUMN[body.level]]


def county_unit(body: Body, key: str) -> str:
    """A county unit co-handling a township's suggestion."""
    return (body.parent_name or "") + UNITS[key][3]


def suggestion_title(rng: random.Random, body: Body, phrases: tuple[str, ...]) -> str:
    place = "" if body.level == "NATIONAL" else body.region_name
    return f"关于{pick(rng, phrases).format(p=place)}的建议"


def organiser(body: Body) -> str:
    if body.level == "NATIONAL":
        return "全国人大常委会"
    if body.level == "TOWNSHIP":
        return body.region_name + "人大主席团"
    return body.title + "人大常委会"


def activity_title(rng: random.Random, body: Body, kind: str, number: int, place: str) -> str:
    """The title of an activity; `number` counts a congress's activities of the kind."""
    org = organiser(body)
    if kind == "INSPECTION":
        return f"{org}组织代表视察{place}{pick(rng, WORK_AREAS)}工作"
    if kind == "SURVEY":
        return f"{org}组织代表开展{pick(rng, WORK_AREAS)}专题调研"
    if kind == "LAW_ENFORCEMENT_CHECK":
        return f"{org}《{pick(rng, INSPECTED_LAWS)}》执法检查"
    if kind == "LEGISLATIVE_CONSULTATION":
        if body.level == "NATIONAL":
            return f"{pick(rng, NATIONAL_LAWS)}法（草案）征求全国人大代表意见座谈会"
        return f"《{body.title}{pick(rng, LOCAL_LAWS)}条例（草案）》征求代表意见座谈会"
    if kind == "BUDGET_REVIEW":
        return f"{org}邀请代表参与预算执行情况专题审查"
    if kind == "TRAINING":
        return f"{org}第{chinese_number(number)}期人大代表履职学习班"
    if kind == "DUTY_REPORT":
        return f"{place}人大代表向选民述职评议会"
    return f"{org}代表活动"
