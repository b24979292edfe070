"""Settlements (township seats, villages, hamlets) with their names, and the existing health facilities."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from scipy.spatial import cKDTree

from facility_layout.synthetic.geometry import Frame
from facility_layout.synthetic.lattice import Lattice
from facility_layout.synthetic.terrain import Terrain

# Settlements per km² of county, and their spacing.
KM2_PER_TOWNSHIP = 120.0
MIN_TOWNSHIPS = 2  # even a small county has its seat town and at least one more township (space allowing)
KM2_PER_VILLAGE = 9.0
KM2_PER_HAMLET = 9.0
VILLAGE_SPACING_M = 800.0
HAMLET_SPACING_M = 500.0
TOWN_CLEARANCE_M = 1_500.0  # no village right next to a township seat: it would be part of the town


# Existing health system.
CLINIC_SHARE_SMALL, CLINIC_SHARE_LARGE = 0.55, 0.92  # chance a village has a clinic, smallest to largest
MERGE_PAIR_M = 1_800.0  # two clinics this close are candidates for merging
VILLAGES_PER_MERGE_PAIR = 15
REMOTE_CLINIC_SHARE = 0.06  # of hamlets, the highest, keep an old clinic of their own

_NAME_HEADS = (
    "Bai", "Bei", "Chang", "Da", "Dong", "Feng", "Gao", "Hei", "Hong", "Hua", "Huang", "Jin", "Lao", "Liu",
    "Long", "Ma", "Mao", "Mu", "Nan", "Ping", "Qing", "Sha", "Shang", "Shi", "Shui", "Song", "Tao", "Tian",
    "Wang", "Xi", "Xia", "Xiao", "Xin", "Yang", "Yu", "Yun", "Zhang", "Zhong", "Zhu",
)  # fmt: skip
_NAME_TAILS = (
    "ao", "ba", "chong", "dong", "gou", "guan", "he", "jiao", "kou", "lin", "ling", "miao", "pan", "ping",
    "po", "pu", "qiao", "shan", "shui", "tai", "tang", "tian", "tun", "wan", "xi", "ya", "yan", "zhai",
    "zhuang",
)  # fmt: skip


@dataclass(frozen=True)
class Places:
    """Settlements: OSM place, name, lattice node, point (metric) and relative size."""

    name: np.ndarray
    place: np.ndarray
    node: np.ndarray
    x: np.ndarray
    y: np.ndarray
    size: np.ndarray


def place_settlements(rng: np.random.Generator, lattice: Lattice, county: shapely.Polygon) -> Places:
    """Township seats, villages and hamlets, where people settle in mountains.

    Township seats take the widest valley floors (big rivers, flat, low); villages prefer valley bottoms
    and gentle slopes; hamlets are scattered higher up on the hillsides. Each kind keeps its distance
    from the others, and their number scales with the county's area.
    """
    area_km2 = county.area / 1e6
    n_towns = max(MIN_TOWNSHIPS, round(area_km2 / KM2_PER_TOWNSHIP))
    n_villages = max(2, round(area_km2 / KM2_PER_VILLAGE))
    n_hamlets = max(2, round(area_km2 / KM2_PER_HAMLET))
    blocked = ~lattice.in_county | (lattice.bridge > 0)  # nobody builds in the river

    town_score = (
        np.log1p(lattice.stream_area)
        - lattice.slope / 0.05
        - lattice.above_stream / 40.0
        + rng.gumbel(0.0, 0.5, lattice.n_nodes)
    )
    # Township seats keep clear of the boundary, where a county would not put its market towns.
    margin = min(1_500.0, 0.15 * math.sqrt(area_km2) * 1_000)
    town_blocked = blocked | (lattice.county_depth < margin)
    if town_blocked.all():
        town_blocked = blocked
    towns = _pick_spaced(
        np.argsort(-town_score, kind="stable"),
        lattice,
        town_blocked,
        550.0 * math.sqrt(area_km2 / n_towns),
        n_towns,
    )
    _block(lattice, blocked, towns, TOWN_CLEARANCE_M)
    village_weight = np.exp(-lattice.slope / 0.12 - np.maximum(lattice.above_stream, 0.0) / 90.0)
    villages = _pick_spaced(_weighted_order(rng, village_weight), lattice, blocked, VILLAGE_SPACING_M, n_villages)
    _block(lattice, blocked, villages, HAMLET_SPACING_M + 100.0)
    # Hamlets sit on shoulders and benches up the valley sides, not on the crests.
    above = np.maximum(lattice.above_stream, 0.0)
    hamlet_weight = np.exp(-lattice.slope / 0.3) * (1.0 - np.exp(-above / 100.0)) * np.exp(-above / 450.0)
    hamlets = _pick_spaced(_weighted_order(rng, hamlet_weight), lattice, blocked, HAMLET_SPACING_M, n_hamlets)

    node = np.array(towns + villages + hamlets, dtype=np.int64)
    place = np.array(["town"] * len(towns) + ["village"] * len(villages) + ["hamlet"] * len(hamlets))
    size = np.concatenate(
        [
            rng.uniform(3_000, 9_000, len(towns)),
            rng.lognormal(math.log(550), 0.6, len(villages)),
            rng.uniform(40, 150, len(hamlets)),
        ]
    )
    # The settlement point sits a little off the road lattice node, as an OSM place node sits off the road.
    offset = rng.uniform(-0.25, 0.25, (len(node), 2)) * lattice.step
    return Places(
        name=np.array(_place_names(rng, len(node)), dtype=object),
        place=place,
        node=node,
        x=lattice.x[node] + offset[:, 0],
        y=lattice.y[node] + offset[:, 1],
        size=size,
    )


def _weighted_order(rng: np.random.Generator, weight: np.ndarray) -> np.ndarray:
    """Nodes in a random order where heavier ones tend to come first (Efraimidis–Spirakis keys)."""
    keys = np.log(rng.uniform(1e-12, 1.0, weight.size)) / np.maximum(weight, 1e-12)
    return np.argsort(-keys, kind="stable")


def _pick_spaced(order: np.ndarray, lattice: Lattice, blocked: np.ndarray, spacing_m: float, count: int) -> list[int]:
    """The first ``count`` nodes of ``order`` not blocked, each blocking the nodes within ``spacing_m``."""
    chosen: list[int] = []
    for node in order.tolist():
        if len(chosen) == count:
            break
        if not blocked[node]:
            chosen.append(node)
            _block(lattice, blocked, [node], spacing_m)
    return chosen


def _block(lattice: Lattice, blocked: np.ndarray, nodes: list[int], radius_m: float) -> None:
    """Mark the lattice nodes within ``radius_m`` of each node as taken."""
    reach = int(radius_m // lattice.step)
    dr, dc = np.mgrid[-reach : reach + 1, -reach : reach + 1]
    disc = (dr**2 + dc**2) * lattice.step**2 <= radius_m**2
    dr, dc = dr[disc], dc[disc]
    for node in nodes:
        row, col = divmod(node, lattice.n_cols)
        r, c = row + dr, col + dc
        ok = (r >= 0) & (r < lattice.n_rows) & (c >= 0) & (c < lattice.n_cols)
        blocked[r[ok] * lattice.n_cols + c[ok]] = True


def _place_names(rng: np.random.Generator, count: int) -> list[str]:
    """Unique pinyin-like place names: two syllables first, three when those run out.

    The pools hold about 44,000 names, more than the largest region (400 km × 400 km) has settlements.
    """
    two = [h + t for h in _NAME_HEADS for t in _NAME_TAILS if h.lower() != t]
    three = [h + m.lower() + t for h in _NAME_HEADS for m in _NAME_HEADS for t in _NAME_TAILS if h != m]
    names: list[str] = []
    seen: set[str] = set()
    for pool in (two, three):
        for i in rng.permutation(len(pool)).tolist():
            if len(names) == count:
                return names
            if pool[i] not in seen:
                seen.add(pool[i])
                names.append(pool[i])
    return names


# --- facilities ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Facilities:
    facility_id: list[str]
    name: list[str]
    tier: np.ndarray  # 1 village clinic, 2 township health centre
    x: np.ndarray
    y: np.ndarray


def existing_facilities(rng: np.random.Generator, places: Places, terrain: Terrain, frame: Frame) -> Facilities:
    """The existing health system, as a real one looks.

    A township health centre in every township seat; a village clinic in most villages, the larger ones
    more likely, but not all (so new sites make sense); clinics in pairs of nearby villages (candidates
    for merging); and a few old clinics in the highest hamlets (remote ones a plan must weigh).
    """
    towns = np.flatnonzero(places.place == "town")
    villages = np.flatnonzero(places.place == "village")
    hamlets = np.flatnonzero(places.place == "hamlet")

    by_size = np.argsort(places.size[villages], kind="stable")
    rank = np.argsort(by_size, kind="stable") / max(1, len(villages) - 1)  # 0 smallest … 1 largest
    chance = CLINIC_SHARE_SMALL + (CLINIC_SHARE_LARGE - CLINIC_SHARE_SMALL) * rank
    has_clinic = rng.random(len(villages)) < chance
    if len(villages) >= 2:
        # The closest pairs of neighbouring villages both keep a clinic (a mutual pair is listed twice).
        xy = np.column_stack([places.x[villages], places.y[villages]])
        gap, neighbour = (v[:, 1] for v in cKDTree(xy).query(xy, k=2))
        closest = np.argsort(gap, kind="stable")[: 2 * max(1, len(villages) // VILLAGES_PER_MERGE_PAIR)]
        close = closest[gap[closest] <= MERGE_PAIR_M]
        has_clinic[close] = True
        has_clinic[neighbour[close]] = True
    if len(villages) >= 2 and has_clinic.all():
        # Some villages must lack a clinic, or there is nothing to plan: the smallest ones.
        has_clinic[by_size[: max(1, len(villages) // 6)]] = False
    elevation = terrain.sample(frame, terrain.elevation, places.x[hamlets], places.y[hamlets])
    n_remote = max(1, round(REMOTE_CLINIC_SHARE * len(hamlets)))
    remote = hamlets[np.argsort(-elevation, kind="stable")[:n_remote]]

    sites = np.concatenate([towns, np.sort(np.concatenate([villages[has_clinic], remote]))])
    tier = np.where(np.arange(len(sites)) < len(towns), 2, 1)
    # Facilities stand in their settlement, a few tens of metres from its place node.
    angle = rng.uniform(0.0, 2 * np.pi, len(sites))
    distance = rng.uniform(20.0, 80.0, len(sites))
    ids = [f"SYN-C{k + 1:02d}" for k in range(len(towns))] + [
        f"SYN-V{k + 1:03d}" for k in range(len(sites) - len(towns))
    ]
    names = [
        f"{places.name[s]} Township Health Centre" if t == 2 else f"{places.name[s]} Village Clinic"
        for s, t in zip(sites.tolist(), tier.tolist(), strict=True)
    ]
    return Facilities(
        facility_id=ids,
        name=names,
        tier=tier,
        x=places.x[sites] + distance * np.cos(angle),
        y=places.y[sites] + distance * np.sin(angle),
    )
