"""Shared fixtures. Real inputs are read from the shared data root, never copied into the repo."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

settings.register_profile("default", max_examples=60)
settings.register_profile("thorough", max_examples=1000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("FACILITY_LAYOUT_SHARED_DATA", REPO.parent / "shared" / "data")).resolve()


def shared_region(slug: str) -> Path:
    """Folder of a real region under the shared data root; skips the test when it is absent."""
    folder = SHARED_DATA / slug
    if not folder.is_dir():
        pytest.skip(
            f"real input data not found at {folder}: set FACILITY_LAYOUT_SHARED_DATA to the folder that holds "
            f"{slug}/ (it lives in ../shared/data beside the repo)"
        )
    return folder


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared data root (holding mwali_comoros/, ngazidja_comoros/, …), or skip."""
    shared_region("mwali_comoros")
    return SHARED_DATA


@pytest.fixture(autouse=True, scope="session")
def travel_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Runs cache travel times in a folder of this test session, never in the user's ~/.cache."""
    from facility_layout.scenario import CACHE_DIR_ENV

    folder = tmp_path_factory.mktemp("travel_cache")
    saved = os.environ.get(CACHE_DIR_ENV)
    os.environ[CACHE_DIR_ENV] = str(folder)
    yield folder
    if saved is None:
        os.environ.pop(CACHE_DIR_ENV, None)
    else:
        os.environ[CACHE_DIR_ENV] = saved
