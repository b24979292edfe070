"""Readers for Beasley's OR-Library p-median instances (``pmed1.txt`` … ``pmed40.txt``, ``pmedopt.txt``).

An instance file starts with ``n_vertices n_edges p`` and lists ``n_edges`` undirected edges ``i j cost``
(vertices numbered from 1). Every vertex is both a demand point and a candidate site, and the cost between
two vertices is the shortest path over the graph. Some edges are listed twice; as in Beasley's own codes,
the last occurrence wins (taking the minimum instead changes the published optima).

The data files are not part of the repo; tests and benchmarks read them from the shared data root.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import shortest_path


@dataclass(frozen=True)
class PMedInstance:
    """One OR-Library p-median instance.

    Attributes
    ----------
    name : str
        The file's stem, e.g. ``pmed6`` (the key in ``pmedopt.txt``).
    n : int
        Vertices: demand points and candidate sites alike.
    p : int
        Sites to open.
    cost : numpy.ndarray of float, n × n
        All-pairs shortest-path cost over the undirected graph.
    """

    name: str
    n: int
    p: int
    cost: np.ndarray


def read_pmed(path: str | Path) -> PMedInstance:
    """Read an OR-Library p-median instance and compute its all-pairs shortest-path costs.

    Parameters
    ----------
    path : str or Path
        A ``pmedN.txt`` file.

    Returns
    -------
    PMedInstance

    Raises
    ------
    ValueError
        The file is malformed (the message names the file, the line and what was expected), or the graph
        is not connected.
    """
    path = Path(path)
    lines = path.read_text().splitlines()
    numbered = [(k + 1, line.split()) for k, line in enumerate(lines) if line.strip()]
    if not numbered:
        raise ValueError(f"{path}: empty file; expected a first line 'n_vertices n_edges p'")
    first_line, header = numbered[0]
    if len(header) != 3:
        raise ValueError(f"{path}, line {first_line}: expected 'n_vertices n_edges p', got {' '.join(header)!r}")
    n, n_edges, p = _ints(path, first_line, header, 3, "'n_vertices n_edges p'")
    if n < 1 or n_edges < 0 or not 1 <= p <= n:
        raise ValueError(
            f"{path}, line {first_line}: expected n_vertices >= 1, n_edges >= 0 and 1 <= p <= n_vertices, "
            f"got {' '.join(header)!r}"
        )
    edges = numbered[1:]
    if len(edges) != n_edges:
        raise ValueError(f"{path}: the first line announces {n_edges} edges, the file lists {len(edges)}")

    # Keyed by the unordered pair so that a repeated edge, in either direction, replaces the earlier one.
    cost_of: dict[tuple[int, int], float] = {}
    for line_no, parts in edges:
        if len(parts) != 3:
            raise ValueError(f"{path}, line {line_no}: expected an edge 'i j cost', got {' '.join(parts)!r}")
        i, j = _ints(path, line_no, parts, 2, "an edge 'i j cost' with integer vertices")
        try:
            cost = float(parts[2])
        except ValueError:
            raise ValueError(f"{path}, line {line_no}: expected a numeric edge cost, got {parts[2]!r}") from None
        if not (1 <= i <= n and 1 <= j <= n):
            raise ValueError(f"{path}, line {line_no}: expected vertices between 1 and {n}, got {i} and {j}")
        if not (np.isfinite(cost) and cost >= 0):
            raise ValueError(f"{path}, line {line_no}: expected a finite edge cost >= 0, got {parts[2]!r}")
        cost_of[(min(i, j) - 1, max(i, j) - 1)] = cost

    if cost_of:
        ends = np.array(list(cost_of), dtype=np.int64)
        weights = np.fromiter(cost_of.values(), dtype=float, count=len(cost_of))
    else:
        ends, weights = np.zeros((0, 2), dtype=np.int64), np.zeros(0)
    # Both directions stored explicitly, so a zero-cost edge is not lost as an implicit zero of the
    # sparse matrix (csgraph treats explicit zeros in a sparse input as edges).
    graph = sp.csr_matrix(
        (np.r_[weights, weights], (np.r_[ends[:, 0], ends[:, 1]], np.r_[ends[:, 1], ends[:, 0]])), shape=(n, n)
    )
    cost = shortest_path(graph, method="D", directed=False)
    unreachable = np.flatnonzero(~np.isfinite(cost[0]))
    if len(unreachable):
        raise ValueError(
            f"{path}: the graph is not connected; vertex {int(unreachable[0]) + 1} cannot be reached from vertex 1"
        )
    return PMedInstance(name=path.stem, n=n, p=p, cost=cost)


def read_pmedopt(path: str | Path) -> dict[str, float]:
    """Read ``pmedopt.txt``: the proven optimal objective of each instance, by name (``{"pmed1": 5819.0}``).

    A first line that is a heading (its second field is not a number) is skipped.

    Raises
    ------
    ValueError
        A line that is not ``name value`` (the message names the file and the line).
    """
    path = Path(path)
    optima: dict[str, float] = {}
    for k, line in enumerate(path.read_text().splitlines()):
        parts = line.split()
        if not parts:
            continue
        try:
            if len(parts) != 2:
                raise ValueError
            optima[parts[0]] = float(parts[1])
        except ValueError:
            if k == 0:
                continue  # "Data file   Optimal solution value"
            raise ValueError(
                f"{path}, line {k + 1}: expected 'name optimal_value' (e.g. 'pmed1 5819'), got {line.strip()!r}"
            ) from None
    return optima


def _ints(path: Path, line_no: int, parts: list[str], count: int, expected: str) -> list[int]:
    """The first ``count`` of ``parts`` as integers, or a ValueError naming the file, the line and what was
    expected (``parts`` must have at least ``count`` fields)."""
    try:
        values = [int(part) for part in parts[:count]]
    except ValueError:
        values = []
    if len(values) != count:
        raise ValueError(f"{path}, line {line_no}: expected {expected}, got {' '.join(parts)!r}")
    return values
