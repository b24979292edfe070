"""Pixels grouped into demand cells: the one-key grouping equals numpy's row-wise unique."""

from __future__ import annotations

import numpy as np
import pytest

from facility_layout.demand import grid_cells


@pytest.mark.parametrize("seed", range(5))
def test_grid_cells_equal_rowwise_unique(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 5000))
    cx = rng.integers(-50, 400, size=n).astype(np.int64)
    cy = rng.integers(-3, rng.integers(-2, 900), size=n).astype(np.int64)
    cells, cell_of_pixel = grid_cells(cx, cy)
    want, want_of_pixel = np.unique(np.column_stack([cx, cy]), axis=0, return_inverse=True)
    assert np.array_equal(cells, want)
    assert np.array_equal(cell_of_pixel, want_of_pixel.ravel())
    assert np.array_equal(cells[cell_of_pixel], np.column_stack([cx, cy]))


def test_no_pixels_no_cells() -> None:
    cells, of_pixel = grid_cells(np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64))
    assert cells.shape == (0, 2) and of_pixel.shape == (0,)
