"""Personal names: surnames weighted by real frequency, given names from common characters,
and the naming customs of some ethnic groups (Korean, Tibetan, Uyghur, Mongolian...).

The given-name pools are built once from a fixed seed, so the same few thousand given
names recur as they do in real life, and the pinyin of each full name is computed once.
"""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Sequence
from functools import cache
from itertools import accumulate

from db.pinyin import name_pinyin, search_vector


class Weighted:
    """Draws items with fixed weights (faster than random.choices for one draw)."""

    __slots__ = ("cumulative", "items", "total")

    def __init__(self, pairs: Sequence[tuple[str, float]]) -> None:
        self.items = [item for item, _ in pairs]
        self.cumulative = list(accumulate(weight for _, weight in pairs))
        self.total = self.cumulative[-1]

    def __call__(self, rng: random.Random) -> str:
        return self.items[bisect(self.cumulative, rng.random() * self.total)]


# The hundred commonest surnames, most frequent first, with the shares (per ten thousand
# people) of the first twenty; the rest taper off from 0.6% to 0.1%.
_COMMON = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾"
    "毛郝龚邵万钱严覃武戴莫孔向汤"
)
_TOP = (725, 719, 683, 538, 453, 308, 223, 208, 193, 187, 145, 138, 129, 126, 116, 115, 111, 106)
SURNAMES = Weighted(
    [
        (c, _TOP[i] if i < len(_TOP) else 100 * 0.978 ** (i - len(_TOP)) + 8)
        for i, c in enumerate(_COMMON)
    ]
    + [("欧阳", 5), ("上官", 1), ("司马", 1), ("诸葛", 1), ("皇甫", 1)]
)

# Surnames typical of an ethnic group (they still also use common Han surnames).
ETHNIC_SURNAMES = {
    "苗族": "杨吴龙石王张李罗潘陈麻",
    "土家族": "向田彭覃张王李杨冉谭",
    "布依族": "韦王罗陆黄杨吴岑班",
    "侗族": "吴杨石龙粟姚欧",
    "壮族": "韦黄覃陆莫农蒙梁",
    "满族": "关金赵佟那富王张李",
    "回族": "马杨李白丁穆哈沙",
    "朝鲜族": "金李朴崔郑张姜全韩尹",
    "彝族": "阿吉沙马李罗杨普",
    "黎族": "王符黄陈吉",
    "瑶族": "盘赵邓黄李",
    "白族": "杨李赵段张",
}

MALE_CHARS = (
    "伟强磊军洋勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆旭宁龙林阳建国峰亮成志海东晨兵锋"
    "雷彬文博振卫忠民德胜庆春荣新永清福金贵祥安生学长光义武晓昊哲睿泽家立中松柏江山毅"
)
FEMALE_CHARS = (
    "芳娜敏静丽艳娟霞秀英兰玲梅红萍燕琳婷雪慧颖倩洁琴云莉欣丹佳蕾晶薇璐露月凤华春桂珍玉"
    "淑翠荣美爱彩瑶妍怡雯悦晓思雨婧媛岚蓉茜"
)
KOREAN_GIVEN = {
    "MALE": "英哲 成日 光浩 永哲 哲洙 成浩 龙男 东春 明哲 光日 昌洙 钟浩 基哲 泰雄",
    "FEMALE": "美玉 英姬 顺姬 明淑 贞淑 春花 京花 玉顺 英子 善花 惠善 莲花 恩静",
}
TIBETAN_PARTS = {
    "MALE": "次仁 扎西 多吉 格桑 旺堆 平措 达瓦 尼玛 普布 顿珠 洛桑 边巴 索朗 巴桑 丹增",
    "FEMALE": "卓玛 央金 拉姆 德吉 曲珍 白玛 次仁 格桑 措姆 尼珍 达娃 旺姆 巴珍 仁增",
}
UYGHUR_GIVEN = {
    "MALE": "艾买提 买买提 艾力 依明 吐尔逊 麦麦提 阿布来提 吾斯曼 热合曼 米吉提 阿不都 努尔",
    "FEMALE": "阿依古丽 古丽娜尔 热依拉 帕提古丽 迪丽拜尔 阿依努尔 古丽米拉 努尔古丽",
}
UYGHUR_FATHER = "吐尔逊 艾买提 买买提 阿不都 依明 热合曼 吾买尔 托合提 卡德尔 沙吾提 玉素甫 哈力克"
MONGOLIAN_GIVEN = {
    "MALE": "巴特尔 额尔敦 那仁 宝音 苏和 巴图 朝鲁 孟和 布和 阿拉坦 巴雅尔 乌力吉",
    "FEMALE": "其其格 乌云 斯琴 图雅 格日勒 萨仁 娜仁 高娃 托娅 乌兰 塔娜 琪琪格",
}
# Groups whose names are not surname + given name.
OWN_NAMING = {"藏族", "维吾尔族", "哈萨克族", "蒙古族"}


def _given_pool(chars: str, seed: str) -> Weighted:
    """A fixed pool of given names: every single character and 500 two-character names,
    with a long-tailed popularity so that common names recur."""
    rng = random.Random(seed)
    names = list(chars)
    seen = set(names)
    while len(names) < len(chars) + 500:
        name = rng.choice(chars) + rng.choice(chars)
        if name[0] != name[1] and name not in seen:
            seen.add(name)
            names.append(name)
    rng.shuffle(names)
    # About a quarter of people have a one-character given name.
    singles = len(chars)
    weights = [
        (1.0 if len(n) == 1 else singles * 3 / 500) / (1 + i / 20) for i, n in enumerate(names)
    ]
    return Weighted(list(zip(names, weights, strict=True)))


GIVEN = {
    "MALE": _given_pool(MALE_CHARS, "given-names-male"),
    "FEMALE": _given_pool(FEMALE_CHARS, "given-names-female"),
}


def person_name(rng: random.Random, gender: str, ethnicity: str) -> str:
    """A plausible full name for a person of this gender and ethnic group."""
    if ethnicity in OWN_NAMING:
        return _own_name(rng, gender, ethnicity)
    surnames = ETHNIC_SURNAMES.get(ethnicity)
    surname = (
        surnames[int(rng.random() * len(surnames))]
        if surnames and rng.random() < 0.6
        else SURNAMES(rng)
    )
    if ethnicity == "朝鲜族" and rng.random() < 0.6:
        return surname + rng.choice(KOREAN_GIVEN[gender].split())
    return surname + GIVEN[gender](rng)


def _own_name(rng: random.Random, gender: str, ethnicity: str) -> str:
    if ethnicity == "藏族":
        parts = TIBETAN_PARTS[gender].split()
        first, second = rng.sample(parts, 2)
        return first + second if rng.random() < 0.8 else first
    if ethnicity == "蒙古族":
        if rng.random() < 0.5:
            return rng.choice("包白韩王李张") + GIVEN[gender](rng)
        return rng.choice(MONGOLIAN_GIVEN[gender].split())
    # Uyghur and Kazakh names: the person's name, a middle dot, the father's name.
    return rng.choice(UYGHUR_GIVEN[gender].split()) + "·" + rng.choice(UYGHUR_FATHER.split())


@cache
def pinyin_keys(name: str) -> tuple[str, str]:
    """(name_pinyin, search_vector) of a name, computed once per distinct name."""
    return name_pinyin(name), search_vector(name)
