"""Sparse origin–destination travel minutes: the one currency between travel times and models.

Only pairs inside a cutoff are stored, as three aligned arrays (origin, destination, minutes). A pair
that is absent is *beyond the cutoff*, never zero minutes: this is why the matrix is not a plain
``scipy.sparse`` matrix, where an explicit 0 (a village sitting on its clinic) and a missing entry
would be confused.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp


@dataclass(frozen=True)
class ODMatrix:
    """Travel minutes for the origin–destination pairs inside a cutoff.

    Parameters
    ----------
    origin, destination : numpy.ndarray of int64
        Row and column index of each stored pair; pairs are unique and sorted by (origin, destination).
    minutes : numpy.ndarray of float64
        Travel minutes of each pair, finite and >= 0.
    shape : tuple of int
        (number of origins, number of destinations).
    """

    origin: np.ndarray
    destination: np.ndarray
    minutes: np.ndarray
    shape: tuple[int, int]

    def __post_init__(self) -> None:
        n = len(self.minutes)
        if len(self.origin) != n or len(self.destination) != n:
            raise ValueError("origin, destination and minutes must have the same length")
        if n and (np.any(~np.isfinite(self.minutes)) or np.any(self.minutes < 0)):
            raise ValueError("travel minutes must be finite and >= 0")

    @classmethod
    def from_pairs(
        cls,
        origin: np.ndarray,
        destination: np.ndarray,
        minutes: np.ndarray,
        shape: tuple[int, int],
    ) -> ODMatrix:
        """Build from unsorted pairs; where a pair repeats, its smallest minutes win."""
        origin = np.asarray(origin, dtype=np.int64)
        destination = np.asarray(destination, dtype=np.int64)
        minutes = np.asarray(minutes, dtype=np.float64)
        order = np.lexsort((minutes, destination, origin))
        origin, destination, minutes = origin[order], destination[order], minutes[order]
        if len(origin):
            first = np.ones(len(origin), dtype=bool)
            first[1:] = (origin[1:] != origin[:-1]) | (destination[1:] != destination[:-1])
            origin, destination, minutes = origin[first], destination[first], minutes[first]
        return cls(origin, destination, minutes, (int(shape[0]), int(shape[1])))

    @classmethod
    def from_dense(cls, minutes: np.ndarray, cutoff: float = np.inf) -> ODMatrix:
        """Keep the finite entries of a dense matrix that are <= ``cutoff``."""
        minutes = np.asarray(minutes, dtype=np.float64)
        rows, cols = np.nonzero(np.isfinite(minutes) & (minutes <= cutoff))
        return cls.from_pairs(rows, cols, minutes[rows, cols], minutes.shape)

    @property
    def n_pairs(self) -> int:
        return len(self.minutes)

    def to_dense(self, fill: float = np.inf) -> np.ndarray:
        """Dense array with ``fill`` where a pair is beyond the cutoff."""
        dense = np.full(self.shape, fill, dtype=np.float64)
        dense[self.origin, self.destination] = self.minutes
        return dense

    def within(self, limit: float) -> ODMatrix:
        """The pairs with minutes <= ``limit``."""
        keep = self.minutes <= limit
        return ODMatrix(self.origin[keep], self.destination[keep], self.minutes[keep], self.shape)

    def select_destinations(self, columns: np.ndarray) -> ODMatrix:
        """Sub-matrix of the given destination columns, renumbered 0..len(columns)-1 in that order."""
        columns = np.asarray(columns, dtype=np.int64)
        new_index = np.full(self.shape[1], -1, dtype=np.int64)
        new_index[columns] = np.arange(len(columns))
        mapped = new_index[self.destination]
        keep = mapped >= 0
        return ODMatrix.from_pairs(self.origin[keep], mapped[keep], self.minutes[keep], (self.shape[0], len(columns)))

    def reachable(self) -> sp.csr_matrix:
        """Boolean CSR matrix: True where the pair is inside the cutoff (zero minutes included)."""
        return sp.csr_matrix((np.ones(self.n_pairs, dtype=bool), (self.origin, self.destination)), shape=self.shape)

    def nearest(self, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """For each origin, the nearest destination (optionally only among ``allowed`` ones).

        Returns
        -------
        index : numpy.ndarray of int64
            Nearest destination per origin, -1 where none is inside the cutoff. Ties go to the
            lowest destination index, so the answer is deterministic.
        minutes : numpy.ndarray of float64
            Its minutes, ``inf`` where there is none.
        """
        keep = np.ones(self.n_pairs, dtype=bool) if allowed is None else np.asarray(allowed)[self.destination]
        o, d, m = self.origin[keep], self.destination[keep], self.minutes[keep]
        order = np.lexsort((d, m, o))
        o, d, m = o[order], d[order], m[order]
        first = np.ones(len(o), dtype=bool)
        first[1:] = o[1:] != o[:-1]
        index = np.full(self.shape[0], -1, dtype=np.int64)
        minutes = np.full(self.shape[0], np.inf)
        index[o[first]] = d[first]
        minutes[o[first]] = m[first]
        return index, minutes
