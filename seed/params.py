"""Fixed facts and tuning numbers of the generator: populations, seat law, shares by level.

Everything here is public fact (2020 census, the Organic and Electoral Laws' seat formulas)
or a plausible share chosen to look like published deputy statistics.
"""

from __future__ import annotations

from datetime import date

# The day the generated registry describes: receptions and contact logs cover the twelve
# months before it, meetings run up to it. Fixed so that a seed always gives the same data.
AS_OF = date(2025, 12, 31)
YEAR_START = date(2025, 1, 1)

LEVELS = ("NATIONAL", "PROVINCIAL", "PREFECTURAL", "COUNTY", "TOWNSHIP")
# Smaller rank = higher level; "above L" means a smaller rank than L's.
RANK = {level: i for i, level in enumerate(LEVELS)}

# Resident population by province, 2020 census (millions).
PROVINCE_POPULATION = {
    "110000": 21.89,
    "120000": 13.87,
    "130000": 74.61,
    "140000": 34.92,
    "150000": 24.05,
    "210000": 42.59,
    "220000": 24.07,
    "230000": 31.85,
    "310000": 24.87,
    "320000": 84.75,
    "330000": 64.57,
    "340000": 61.03,
    "350000": 41.54,
    "360000": 45.19,
    "370000": 101.53,
    "410000": 99.37,
    "420000": 57.75,
    "430000": 66.45,
    "440000": 126.01,
    "450000": 50.13,
    "460000": 10.08,
    "500000": 32.05,
    "510000": 83.67,
    "520000": 38.56,
    "530000": 47.21,
    "540000": 3.65,
    "610000": 39.53,
    "620000": 25.02,
    "630000": 5.92,
    "640000": 7.20,
    "650000": 25.85,
}

# Delegation names at the National People's Congress use the short province name.
PROVINCE_SHORT = {
    "110000": "北京",
    "120000": "天津",
    "130000": "河北",
    "140000": "山西",
    "150000": "内蒙古",
    "210000": "辽宁",
    "220000": "吉林",
    "230000": "黑龙江",
    "310000": "上海",
    "320000": "江苏",
    "330000": "浙江",
    "340000": "安徽",
    "350000": "福建",
    "360000": "江西",
    "370000": "山东",
    "410000": "河南",
    "420000": "湖北",
    "430000": "湖南",
    "440000": "广东",
    "450000": "广西",
    "460000": "海南",
    "500000": "重庆",
    "510000": "四川",
    "520000": "贵州",
    "530000": "云南",
    "540000": "西藏",
    "610000": "陕西",
    "620000": "甘肃",
    "630000": "青海",
    "640000": "宁夏",
    "650000": "新疆",
}

NATIONAL_SEATS = 2977
# Every province first gets this many national seats, the rest go by population.
NATIONAL_BASE_SEATS = 8

# Legal seat counts: (base, people per extra seat, maximum).
SEAT_LAW = {
    "PROVINCIAL": (350, 150_000, 1000),
    "PREFECTURAL": (240, 25_000, 650),
    "COUNTY": (140, 5_000, 450),
    "TOWNSHIP": (45, 1_500, 160),
}

# People per liaison station: about 200,000 stations for 1.41 billion people.
PEOPLE_PER_STATION = 7_000

FEMALE_SHARE = {
    "NATIONAL": 0.27,
    "PROVINCIAL": 0.30,
    "PREFECTURAL": 0.33,
    "COUNTY": 0.36,
    "TOWNSHIP": 0.40,
}
# Workers, farmers and technicians (一线工人、农民和专业技术人员).
GRASSROOTS_SHARE = {
    "NATIONAL": 0.16,
    "PROVINCIAL": 0.20,
    "PREFECTURAL": 0.26,
    "COUNTY": 0.42,
    "TOWNSHIP": 0.55,
}
# Leading officials of the party and government among the deputies.
OFFICIAL_SHARE = {
    "NATIONAL": 0.34,
    "PROVINCIAL": 0.34,
    "PREFECTURAL": 0.30,
    "COUNTY": 0.26,
    "TOWNSHIP": 0.22,
}
# Ages (lowest, highest, most common) of deputies by level.
AGE_RANGE = {
    "NATIONAL": (32, 70, 54),
    "PROVINCIAL": (30, 68, 52),
    "PREFECTURAL": (29, 66, 50),
    "COUNTY": (28, 65, 47),
    "TOWNSHIP": (28, 65, 45),
}
# Shares of the Communist Party and of the eight other parties; the rest are non-party.
PARTY_SHARE = {
    "NATIONAL": (0.71, 0.17),
    "PROVINCIAL": (0.70, 0.14),
    "PREFECTURAL": (0.70, 0.11),
    "COUNTY": (0.70, 0.05),
    "TOWNSHIP": (0.68, 0.015),
}
OTHER_PARTIES = (
    ("民盟", 25),
    ("民建", 17),
    ("民进", 15),
    ("九三学社", 15),
    ("农工党", 10),
    ("民革", 10),
    ("致公党", 5),
    ("台盟", 3),
)

# Chance that a deputy of the first level also sits in the congress of the second level
# that covers their locality (the lower congress is where they were elected from).
ALSO_SITS = {
    ("NATIONAL", "PROVINCIAL"): 0.15,
    ("PROVINCIAL", "PREFECTURAL"): 0.20,
    ("PROVINCIAL", "COUNTY"): 0.30,
    ("PREFECTURAL", "COUNTY"): 0.35,
    ("COUNTY", "TOWNSHIP"): 0.15,
}
# At most this share of a congress's seats goes to deputies who already sit higher up.
REUSED_SEAT_CAP = 0.4

# Chance that a higher-level deputy lives in the county seat rather than a township.
COUNTY_SELF_LOCALITY = {"NATIONAL": 0.45, "PROVINCIAL": 0.45, "PREFECTURAL": 0.4, "COUNTY": 0.15}

TERMINATED_SHARE = 0.015
SUSPENDED_SHARE = 0.003
# A terminated seat is usually filled again by a by-election.
REPLACED_SHARE = 0.8
# Seats first filled by a by-election (the vacancy predates what is generated).
LATE_BY_ELECTION_SHARE = 0.008
PREVIOUS_TERM_SHARE = 0.12

END_REASONS = (
    ("RESIGNED", 35),
    ("MOVED_AWAY", 25),
    ("DECEASED", 12),
    ("RECALLED", 5),
    ("CONVICTED", 5),
    ("OTHER", 18),
)

# Standing committee sizes (lowest, highest) and vice-chairs (lowest, highest) by level.
STANDING_SIZE = {
    "NATIONAL": (175, 175),
    "PROVINCIAL": (50, 90),
    "PREFECTURAL": (30, 50),
    "COUNTY": (15, 35),
}
VICE_CHAIRS = {
    "NATIONAL": (14, 14),
    "PROVINCIAL": (5, 8),
    "PREFECTURAL": (4, 6),
    "COUNTY": (3, 5),
}
SPECIAL_COMMITTEE_SIZE = (8, 16)
CONTACTS_PER_MEMBER = (3, 10)
LOGS_PER_CONTACT = (0, 6)
ATTENDEES_PER_MEETING = (3, 15)
# Chance that a pick (contact, attendee) comes from the deputies of higher levels living in
# the region rather than from the congress's own deputies.
HIGHER_PICK = {"NATIONAL": 0.0, "PROVINCIAL": 0.25, "PREFECTURAL": 0.4, "COUNTY": 0.15}
SPOKE_SHARE = 0.3


def legal_seats(level: str, population: float) -> int:
    """Seats the law gives a congress of this level for this population."""
    base, per_seat, most = SEAT_LAW[level]
    return min(most, base + int(population // per_seat))
