"""OR-Library p-median reader, and the published optima reproduced exactly by PMedian.

The crafted-file tests need no data; the real instances are read from the shared data root (skipped when
absent, see ``conftest.shared_orlib``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from facility_layout.models.median import PMedian
from facility_layout.orlib import read_pmed, read_pmedopt

# p >= 10 on up to 400 vertices (plus pmed1): each proves optimality in under 4 s with HiGHS on a 2-core
# machine, about 10 s in all; pmed6, pmed11, pmed12 and the larger p = 5, 10 instances take 5 s to minutes.
FAST_INSTANCES = [
    "pmed1",
    "pmed2",
    "pmed3",
    "pmed4",
    "pmed5",
    "pmed7",
    "pmed8",
    "pmed9",
    "pmed10",
    "pmed13",
    "pmed15",
    "pmed19",
    "pmed20",
]


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_repeated_edge_last_occurrence_wins(tmp_path: Path) -> None:
    # 1-2 is listed as 10 then (reversed) as 3: the later 3 counts, so 1→3 goes via 2 (3 + 4 = 7 < 9).
    path = write(tmp_path / "tiny.txt", " 3 4 1\n 1 2 10\n 2 3 4\n 1 3 9\n 2 1 3\n")
    instance = read_pmed(path)
    assert (instance.name, instance.n, instance.p) == ("tiny", 3, 1)
    expected = np.array([[0.0, 3.0, 7.0], [3.0, 0.0, 4.0], [7.0, 4.0, 0.0]])
    np.testing.assert_array_equal(instance.cost, expected)


def test_repeated_edge_later_larger_cost_wins(tmp_path: Path) -> None:
    # Not the minimum: a later, larger cost replaces the earlier one.
    instance = read_pmed(write(tmp_path / "t.txt", "2 2 1\n1 2 1\n1 2 5\n"))
    assert instance.cost[0, 1] == instance.cost[1, 0] == 5.0


def test_zero_cost_edge_is_an_edge(tmp_path: Path) -> None:
    instance = read_pmed(write(tmp_path / "t.txt", "3 2 1\n1 2 0\n2 3 2\n"))
    assert instance.cost[0, 2] == 2.0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty file"),
        ("3 2\n1 2 1\n2 3 1\n", r"line 1: expected 'n_vertices n_edges p'"),
        ("3 2 1\n1 2 1\n2 x 1\n", r"line 3: expected an edge 'i j cost' with integer vertices, got '2 x 1'"),
        ("3 2 1\n1 2 1\n2 3\n", r"line 3: expected an edge 'i j cost', got '2 3'"),
        ("3 2 1\n1 2 1\n2 4 1\n", r"line 3: expected vertices between 1 and 3, got 2 and 4"),
        ("3 2 1\n1 2 1\n2 3 -1\n", r"line 3: expected a finite edge cost >= 0"),
        ("3 2 1\n1 2 1\n2 3 abc\n", r"line 3: expected a numeric edge cost, got 'abc'"),
        ("3 3 1\n1 2 1\n2 3 1\n", "announces 3 edges, the file lists 2"),
        ("3 1 1\n1 2 1\n", "not connected; vertex 3"),
        ("3 2 4\n1 2 1\n2 3 1\n", r"line 1: expected .*1 <= p <= n_vertices"),
    ],
)
def test_malformed_file_names_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path / "bad.txt", text)
    with pytest.raises(ValueError, match=message) as caught:
        read_pmed(path)
    assert str(path) in str(caught.value)


def test_pmedopt_skips_heading_and_rejects_bad_lines(tmp_path: Path) -> None:
    good = write(tmp_path / "opt.txt", "Data file   Optimal solution value\npmed1 5819\n\npmed2 4093\n")
    assert read_pmedopt(good) == {"pmed1": 5819.0, "pmed2": 4093.0}
    bad = write(tmp_path / "bad.txt", "Data file   Optimal solution value\npmed1 5819\npmed2 four\n")
    with pytest.raises(ValueError, match=r"bad.txt, line 3: expected 'name optimal_value'"):
        read_pmedopt(bad)


@pytest.mark.real_data
def test_reads_every_instance(orlib: Path) -> None:
    optima = read_pmedopt(orlib / "pmedopt.txt")
    assert sorted(optima, key=lambda name: int(name[4:])) == [f"pmed{k}" for k in range(1, 41)]
    instance = read_pmed(orlib / "pmed40.txt")
    assert (instance.n, instance.p) == (900, 90)
    assert np.all(np.isfinite(instance.cost)) and np.all(np.diag(instance.cost) == 0)
    np.testing.assert_array_equal(instance.cost, instance.cost.T)


@pytest.mark.real_data
@pytest.mark.parametrize("name", FAST_INSTANCES)
def test_pmedian_reproduces_published_optimum(orlib: Path, name: str) -> None:
    opt = read_pmedopt(orlib / "pmedopt.txt")[name]
    instance = read_pmed(orlib / f"{name}.txt")
    # Speed is measured in benchmarks/location_models.py, not timed here: a shared machine made this flaky.
    result = PMedian.from_cost_matrix(instance.cost, instance.p).solve(solver="highs")
    # The objective is recomputed from the open sites over integer costs, so it is exact; the bound is the
    # solver's and may carry round-off (pmed24's is 2960.9999999999995).
    assert result.objective == opt
    assert result.status == "optimal" and result.proven_optimal
    assert result.bound == pytest.approx(opt, rel=1e-9)
    assert result.open_sites.sum() == instance.p


@pytest.mark.real_data
@pytest.mark.parametrize("name", ["pmed1", "pmed10"])
def test_pmedian_with_cbc_reproduces_published_optimum(orlib: Path, name: str) -> None:
    opt = read_pmedopt(orlib / "pmedopt.txt")[name]
    instance = read_pmed(orlib / f"{name}.txt")
    result = PMedian.from_cost_matrix(instance.cost, instance.p).solve(solver="cbc")
    assert result.objective == opt
    assert result.status == "optimal"
    assert result.bound == pytest.approx(opt, rel=1e-9)
