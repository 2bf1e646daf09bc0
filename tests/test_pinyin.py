"""db.pinyin remembers pypinyin's conversion of each segment: the result must stay exactly
what pypinyin's own `lazy_pinyin` gives, for generated names and awkward ones alike."""

from __future__ import annotations

import random

from pypinyin import Style, lazy_pinyin

from db.pinyin import name_pinyin, search_keys
from seed.names import person_name

AWKWARD = [
    "重庆",
    "单雄信",
    "曾国藩",
    "解缙",
    "朴",
    "阿不都·热合曼",
    "Zhang San",
    "李 俊峰",
    "",
    "〇",
]
ETHNICITIES = ["汉族", "汉族", "汉族", "藏族", "蒙古族", "维吾尔族", "朝鲜族", "壮族", "哈萨克族"]


def _reference(name: str) -> str:
    return " ".join(s for s in lazy_pinyin(name, style=Style.NORMAL) if s.strip()).lower()


def test_name_pinyin_is_pypinyins_own_answer() -> None:
    rng = random.Random(11)
    names = {
        person_name(rng, rng.choice(["MALE", "FEMALE"]), rng.choice(ETHNICITIES))
        for _ in range(5_000)
    }
    for name in [*sorted(names), *AWKWARD]:
        assert name_pinyin(name) == _reference(name), name


def test_search_keys_of_a_name() -> None:
    assert search_keys("李俊峰") == sorted(
        {"李俊峰", "俊峰", "峰", "lijunfeng", "junfeng", "feng", "ljf", "jf", "f"}
    )
