"""Township areas (nearest-seat cells) and counties grouping whole townships, with Chinese-style names.

A province plans village clinics county by county, so a generated province needs counties as well as
townships: each county is a contiguous group of about :data:`TOWNSHIPS_PER_COUNTY` whole townships, grown
from seats spread over the region, and named after its seat town as counties usually are ("…县").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from facility_layout.synthetic.places import Places

TOWNSHIPS_PER_COUNTY = 15  # real counties in the south-west hold roughly 10–20 townships
# County codes in the pattern of GB/T 2260 (province, prefecture, county: two digits each). 52 is Guizhou,
# and no real prefecture of it is numbered 90 or above, so no generated code is a real county's.
PROVINCE_CODE = 52
FIRST_PREFECTURE_CODE = 90

# The characters the pinyin syllables of generated place names stand for (common in Guizhou place names).
_CHARACTERS = {
    "bai": "白", "bei": "北", "chang": "长", "da": "大", "dong": "东", "feng": "凤", "gao": "高", "hei": "黑",
    "hong": "红", "hua": "花", "huang": "黄", "jin": "金", "lao": "老", "liu": "柳", "long": "龙", "ma": "马",
    "mao": "茅", "mu": "木", "nan": "南", "ping": "坪", "qing": "青", "sha": "沙", "shang": "上", "shi": "石",
    "shui": "水", "song": "松", "tao": "桃", "tian": "田", "wang": "王", "xi": "溪", "xia": "下", "xiao": "小",
    "xin": "新", "yang": "阳", "yu": "玉", "yun": "云", "zhang": "张", "zhong": "中", "zhu": "竹", "ao": "坳",
    "ba": "坝", "chong": "冲", "gou": "沟", "guan": "关", "he": "河", "jiao": "脚", "kou": "口", "lin": "林",
    "ling": "岭", "miao": "苗", "pan": "盘", "po": "坡", "pu": "铺", "qiao": "桥", "shan": "山", "tai": "台",
    "tang": "塘", "tun": "屯", "wan": "湾", "ya": "垭", "yan": "岩", "zhai": "寨", "zhuang": "庄",
}  # fmt: skip


@dataclass(frozen=True)
class Counties:
    """Townships (one per township seat) and the county each belongs to."""

    town: np.ndarray  # index into the places of each township's seat
    area: list[shapely.Geometry]  # each township's area (metric), in ``town`` order
    county: np.ndarray  # county number of each township
    name: list[str]  # per county
    code: list[str]  # per county
    geometry: list[shapely.Geometry]  # per county (metric): the union of its townships' areas


def townships_and_counties(places: Places, region: shapely.Polygon) -> Counties:
    """Township areas, the region split into the land nearest each township seat, grouped into counties.

    Real townships follow ridges and rivers, but nearest-seat areas are what a county without drawn
    boundaries would use. Counties grow from seats spread over the region (farthest-point order from the
    largest town), the county with the fewest townships taking the unassigned neighbouring township nearest
    its seat, so each is contiguous and they come out about equal in size.
    """
    towns = np.flatnonzero(places.place == "town")
    seats = shapely.points(places.x[towns], places.y[towns])
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(seats), extend_to=region.envelope))
    area = []
    for seat in seats:
        cell = next(c for c in cells if c.contains(seat))  # the cells come in no fixed order
        area.append(cell.intersection(region))
    county = _group(places, towns, area, max(1, round(len(towns) / TOWNSHIPS_PER_COUNTY)))
    capitals = [int(towns[county == k][np.argmax(places.size[towns[county == k]])]) for k in range(county.max() + 1)]
    return Counties(
        town=towns,
        area=area,
        county=county,
        name=[f"{_chinese(str(places.name[c]))}县" for c in capitals],
        code=[f"{PROVINCE_CODE}{FIRST_PREFECTURE_CODE + k // 99:02d}{k % 99 + 1:02d}" for k in range(len(capitals))],
        geometry=[shapely.union_all([area[t] for t in np.flatnonzero(county == k)]) for k in range(len(capitals))],
    )


def _group(places: Places, towns: np.ndarray, area: list[shapely.Geometry], count: int) -> np.ndarray:
    """County number of each township: ``count`` contiguous groups of neighbouring townships."""
    xy = np.column_stack([places.x[towns], places.y[towns]])
    seeds = [int(np.argmax(places.size[towns]))]
    gap = np.hypot(*(xy - xy[seeds[0]]).T)
    while len(seeds) < count:
        seeds.append(int(np.argmax(gap)))
        gap = np.minimum(gap, np.hypot(*(xy - xy[seeds[-1]]).T))
    # Townships are neighbours when their areas share a stretch of boundary (not just a corner).
    tree = shapely.STRtree(area)
    neighbours: list[set[int]] = [set() for _ in area]
    for a, b in zip(*tree.query(area, predicate="intersects"), strict=True):
        if a < b and area[a].intersection(area[b]).length > 1.0:
            neighbours[a].add(int(b))
            neighbours[b].add(int(a))
    county = np.full(len(towns), -1)
    county[seeds] = np.arange(count)
    sizes = np.ones(count, dtype=np.int64)
    while (county < 0).any():
        grew = False
        for k in np.argsort(sizes, kind="stable").tolist():
            members = np.flatnonzero(county == k)
            free = sorted({n for m in members.tolist() for n in neighbours[m] if county[n] < 0})
            if free:
                nearest = free[int(np.argmin(np.hypot(*(xy[free] - xy[seeds[k]]).T)))]
                county[nearest] = k
                sizes[k] += 1
                grew = True
                break
        if not grew:  # townships cut off from every county (by the region's outline): the nearest seat's
            for t in np.flatnonzero(county < 0).tolist():
                county[t] = int(np.argmin(np.hypot(*(xy[seeds] - xy[t]).T)))
    return county


def _chinese(name: str) -> str:
    """The characters of a generated pinyin name ("Baiao" → "白坳"), split into the most known syllables.

    The most, because names were put together from syllables: "Xiao" is "Xi" + "ao" (溪坳), not 小.
    """
    text = name.lower()
    tail_of = {len(text): ""}  # characters of each suffix that splits into syllables
    for start in range(len(text) - 1, -1, -1):
        splits = [
            _CHARACTERS[syllable] + tail_of[start + len(syllable)]
            for syllable in _CHARACTERS
            if text.startswith(syllable, start) and start + len(syllable) in tail_of
        ]
        if splits:
            tail_of[start] = max(splits, key=len)
    return tail_of[0]
