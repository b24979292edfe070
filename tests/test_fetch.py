"""`facility-layout fetch` end to end against a real HTTP server on 127.0.0.1 (never the internet).

The server speaks the services' real wire formats (Nominatim JSON with a GeoJSON outline, Overpass JSON,
WorldPop's REST JSON and a GeoTIFF, gzipped SRTM HGT tiles in the skadi layout), built by the test from a
small synthetic county, and misbehaves the way real servers do: a 429 with Retry-After, a 503, a connection
dropped mid-body. The written scenario must then validate and run.
"""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import yaml
from shapely.geometry import Point
from typer.testing import CliRunner

from facility_layout.cli import app
from facility_layout.synthetic import generate_region

from english import english_words

runner = CliRunner()
# The synthetic county is centred on 104° E, 26° N: a box around it touches these four 1° tiles.
TILES = ("N25/N25E103", "N25/N25E104", "N26/N26E103", "N26/N26E104")
HGT_SIDE = 1201  # SRTM 3″


@dataclass
class Server:
    """Routes by path; records every request; replays scripted faults once per path."""

    routes: dict[str, bytes] = field(default_factory=dict)
    faults: dict[str, list[str]] = field(default_factory=dict)  # path → faults for its next requests
    log: list[dict] = field(default_factory=list)
    url: str = ""


def _handler(server: Server) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # quiet
            pass

        def _serve(self) -> None:
            path = self.path.split("?")[0]
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            server.log.append(
                {"t": time.monotonic(), "path": path, "query": self.path, "body": body, "range": self.headers["Range"]}
            )
            fault = server.faults.get(path, []).pop(0) if server.faults.get(path) else None
            if fault == "429":
                return self._status(429, {"Retry-After": "2"})
            if fault == "503":
                return self._status(503, {})
            if path not in server.routes:
                return self._status(404, {})
            data = server.routes[path]
            start = int(self.headers["Range"].split("=")[1].split("-")[0]) if self.headers["Range"] else 0
            self.send_response(206 if start else 200)
            self.send_header("Content-Length", str(len(data) - start))
            if start:
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            self.end_headers()
            if fault == "drop":  # half the body, then the connection dies
                self.wfile.write(data[start : start + (len(data) - start) // 2])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            self.wfile.write(data[start:])

        def _status(self, code: int, headers: dict[str, str]) -> None:
            self.send_response(code)
            for k, v in {**headers, "Content-Length": "0"}.items():
                self.send_header(k, v)
            self.end_headers()

        do_GET = do_POST = _serve  # noqa: N815 - the names http.server dispatches to

    return Handler


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("county")
    generate_region(folder, seed=3, width_km=6, height_km=5, population_total=8_000)
    return folder


def overpass_json(county: Path) -> bytes:
    """The county's roads, villages and facilities as Overpass `[out:json]` elements."""
    root = ET.parse(county / "roads.osm").getroot()
    elements = [
        {"type": "node", "id": int(n.get("id")), "lat": float(n.get("lat")), "lon": float(n.get("lon"))}
        for n in root.iter("node")
    ]
    for w in root.iter("way"):
        elements.append(
            {
                "type": "way",
                "id": int(w.get("id")),
                "nodes": [int(nd.get("ref")) for nd in w.iter("nd")],
                "tags": {t.get("k"): t.get("v") for t in w.iter("tag")},
            }
        )
    places = gpd.read_file(county / "settlements.geojson")
    facilities = gpd.read_file(county / "facilities.geojson")
    for i, row in enumerate(places.itertuples()):
        tags = {"place": row.place, "name": row.name}
        elements.append(
            {"type": "node", "id": 9_000_000 + i, "lat": row.geometry.y, "lon": row.geometry.x, "tags": tags}
        )
    for i, row in enumerate(facilities.itertuples()):
        tags = {"amenity": "hospital" if int(row.tier) == 2 else "clinic", "name": row.name}
        elements.append(
            {"type": "node", "id": 8_000_000 + i, "lat": row.geometry.y, "lon": row.geometry.x, "tags": tags}
        )
    far = {"type": "node", "id": 7_000_000, "lat": 30.0, "lon": 110.0, "tags": {"amenity": "hospital", "name": "Far"}}
    return json.dumps({"version": 0.6, "generator": "Overpass API", "elements": [*elements, far]}).encode()


def hgt_tile(county: Path, name: str) -> bytes:
    """A gzipped 3″ HGT tile sampled (nearest pixel) from the county's DEM; 0 m outside it."""
    stem = name.split("/")[1]
    lat0, lon0 = int(stem[1:3]), int(stem[4:7])
    step = 1 / (HGT_SIDE - 1)
    lats = lat0 + 1 - np.arange(HGT_SIDE) * step
    lons = lon0 + np.arange(HGT_SIDE) * step
    with rasterio.open(county / "dem.tif") as src:
        dem = src.read(1)
        rows = np.floor((lats - src.transform.f) / src.transform.e).astype(int)
        cols = np.floor((lons - src.transform.c) / src.transform.a).astype(int)
    out = np.zeros((HGT_SIDE, HGT_SIDE), dtype=">i2")
    r_ok, c_ok = (rows >= 0) & (rows < dem.shape[0]), (cols >= 0) & (cols < dem.shape[1])
    out[np.ix_(r_ok, c_ok)] = dem[np.ix_(rows[r_ok], cols[c_ok])]
    return gzip.compress(out.tobytes(), compresslevel=1)


@pytest.fixture(scope="module")
def server(county: Path) -> Iterator[Server]:
    state = Server()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    boundary = json.loads((county / "boundary.geojson").read_text())["features"][0]["geometry"]
    state.routes = {
        "/search": json.dumps(
            [
                {
                    "place_id": 1,
                    "lat": "26.0",
                    "lon": "104.0",
                    "display_name": "Synthetic County, Guizhou, China",
                    "address": {"country_code": "cn"},
                    "geojson": boundary,
                }
            ]
        ).encode(),
        "/api/interpreter": overpass_json(county),
        "/rest/data/pop/wpgp": json.dumps(
            {
                "data": [
                    {
                        "popyear": "2019",
                        "files": [f"{state.url}/GIS/2019/chn_ppp_2019.tif"],
                        "citation": "WorldPop 2019",
                    },
                    {
                        "popyear": "2020",
                        "files": [f"{state.url}/GIS/2020/chn_ppp_2020.tif"],
                        "citation": "WorldPop 2020",
                    },
                ]
            }
        ).encode(),
        "/GIS/2020/chn_ppp_2020.tif": (county / "population.tif").read_bytes(),
        **{f"/skadi/{t}.hgt.gz": hgt_tile(county, t) for t in TILES},
    }
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()


def endpoint_args(url: str) -> list[str]:
    return [
        "--nominatim-url", f"{url}/search",
        "--overpass-url", f"{url}/api/interpreter",
        "--worldpop-url", f"{url}/rest/data/pop/wpgp",
        "--dem-url", f"{url}/skadi",
    ]  # fmt: skip


@pytest.fixture(scope="module")
def fetched(server: Server, county: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """One fetch through every fault: 429 on Overpass, 503 on WorldPop, a dropped GeoTIFF download."""
    base = tmp_path_factory.mktemp("fetch")
    server.faults = {
        "/api/interpreter": ["429"],
        "/rest/data/pop/wpgp": ["503"],
        "/GIS/2020/chn_ppp_2020.tif": ["drop"],
    }
    cache = base / "cache"
    result = runner.invoke(
        app,
        ["fetch", str(base / "region"), "--place", "Synthetic County", "--country", "chn",
         *endpoint_args(server.url), "--cache-dir", str(cache)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return base / "region", cache, result.output


def test_fetch_writes_every_input_clipped_to_the_place(fetched: tuple[Path, Path, str], county: Path) -> None:
    folder, _, output = fetched
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["boundary.geojson", "roads.osm", "settlements.geojson", "facilities.geojson", "population.tif", "dem.tif",
         "SOURCES.md", "scenario.yaml"]
    )  # fmt: skip
    assert "fetched Synthetic County, Guizhou, China" in output
    truth = gpd.read_file(county / "facilities.geojson")
    got = gpd.read_file(folder / "facilities.geojson")
    assert sorted(got["name"]) == sorted(truth["name"])  # the far hospital (30° N) is clipped away
    assert sorted(got["kind"]) == sorted("hospital" if t == 2 else "clinic" for t in truth["tier"])
    assert len(gpd.read_file(folder / "settlements.geojson")) == len(gpd.read_file(county / "settlements.geojson"))
    # Roads: exactly the ways with a node inside the boundary, each whole.
    source = ET.parse(county / "roads.osm").getroot()
    xy = {n.get("id"): (float(n.get("lon")), float(n.get("lat"))) for n in source.iter("node")}
    outline = gpd.read_file(county / "boundary.geojson").geometry.iloc[0]
    expected = {
        w.get("id"): [nd.get("ref") for nd in w.iter("nd")]
        for w in source.iter("way")
        if any(outline.intersects(Point(xy[nd.get("ref")])) for nd in w.iter("nd"))
    }
    written = {
        w.get("id"): [nd.get("ref") for nd in w.iter("nd")]
        for w in ET.parse(folder / "roads.osm").getroot().iter("way")
    }
    assert written == expected and len(expected) < len(list(source.iter("way")))
    # Population: the cut window holds every person of the synthetic raster (it lies inside the box + margin).
    with rasterio.open(county / "population.tif") as a, rasterio.open(folder / "population.tif") as b:
        total_a = a.read(1, masked=True).sum()
        total_b = b.read(1, masked=True).sum()
    assert total_b == pytest.approx(total_a, rel=1e-6)
    # DEM: every sample equals the tile value at the same lon/lat (independent of the mosaic code).
    with rasterio.open(folder / "dem.tif") as dem, rasterio.open(county / "dem.tif") as src:
        assert dem.res == pytest.approx((1 / 1200, 1 / 1200))
        values = dem.read(1)
        lon, lat = 104.004, 26.003
        r, c = dem.index(lon, lat)
        tile_r, tile_c = round((27 - lat) * 1200), round((lon - 104) * 1200)
        lat_s, lon_s = 27 - tile_r / 1200, 104 + tile_c / 1200
        expected = next(src.sample([(lon_s, lat_s)]))[0]
        assert values[r, c] == expected
    text = (folder / "SOURCES.md").read_text()
    for needle in ("ODbL", "CC BY 4.0", "SRTM", "/GIS/2020/chn_ppp_2020.tif", "N26/N26E104.hgt.gz"):
        assert needle in text


def test_downloads_retry_resume_and_honour_retry_after(fetched, server: Server) -> None:
    def requests(path: str) -> list[dict]:
        return [r for r in server.log if r["path"] == path]

    overpass = requests("/api/interpreter")
    assert len(overpass) == 2 and b"out%3Ajson" in overpass[0]["body"]  # the QL query, form-encoded as `data`
    assert overpass[1]["t"] - overpass[0]["t"] >= 2.0  # Retry-After: 2 honoured (back-off alone waits 1 s)
    worldpop = requests("/rest/data/pop/wpgp")
    assert len(worldpop) == 2 and "iso3=CHN" in worldpop[1]["query"]
    tif = requests("/GIS/2020/chn_ppp_2020.tif")
    assert len(tif) == 2 and tif[0]["range"] is None
    size = len(server.routes["/GIS/2020/chn_ppp_2020.tif"])
    assert tif[1]["range"] == f"bytes={size // 2}-"  # resumed where the dropped body stopped


def test_second_fetch_reads_only_the_cache(fetched, server: Server, tmp_path: Path) -> None:
    _, cache, _ = fetched
    before = len(server.log)
    result = runner.invoke(
        app,
        ["fetch", str(tmp_path / "again"), "--place", "Synthetic County", "--country", "CHN",
         *endpoint_args(server.url), "--cache-dir", str(cache)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert len(server.log) == before
    assert (tmp_path / "again" / "roads.osm").read_bytes() == (fetched[0] / "roads.osm").read_bytes()


def test_starter_scenario_validates_and_runs(fetched) -> None:
    folder = fetched[0]
    scenario = folder / "scenario.yaml"
    result = runner.invoke(app, ["validate", str(scenario)])
    assert result.exit_code == 0, result.output
    assert "valid" in result.output
    result = runner.invoke(app, ["run", str(scenario)])
    assert result.exit_code == 0, result.output
    summary = json.loads((folder / "out" / "summary.json").read_text())
    assert summary["population_total"] > 0


def test_starter_comments_follow_the_language_and_its_yaml_does_not(fetched, server: Server, tmp_path: Path) -> None:
    english, cache, _ = fetched
    result = runner.invoke(
        app,
        ["fetch", str(tmp_path / "zh"), "--place", "Synthetic County", "--country", "CHN", "--lang", "zh-CN",
         *endpoint_args(server.url), "--cache-dir", str(cache)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    text = (tmp_path / "zh" / "scenario.yaml").read_text(encoding="utf-8")
    # The comments, without the commands to run next, paths, and the names and kinds from the data.
    comments = [
        line.split("#", 1)[1].replace(str(tmp_path / "zh"), "")
        for line in text.splitlines()
        if "#" in line and "facility-layout validate" not in line and "facility-layout run" not in line
    ]
    assert len(comments) > 10 and "请核对" in text
    data_words = {"Synthetic", "County", "Guizhou", "China", "OSM", "WorldPop", "OpenStreetMap", "UTM"}
    leftover = {line: english_words(line, data_words | {"clinic", "hospital"}) for line in comments}
    assert {line: words for line, words in leftover.items() if words} == {}
    expected = (english / "scenario.yaml").read_text(encoding="utf-8").replace(str(english), str(tmp_path / "zh"))
    assert yaml.safe_load(text) == yaml.safe_load(expected)


def test_offline_fails_clearly_and_writes_nothing(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    mirrors = {  # through the environment variables this time
        "FACILITY_LAYOUT_NOMINATIM_URL": f"{dead}/search",
        "FACILITY_LAYOUT_OVERPASS_URL": f"{dead}/api/interpreter",
        "FACILITY_LAYOUT_WORLDPOP_URL": f"{dead}/rest/data/pop/wpgp",
        "FACILITY_LAYOUT_DEM_URL": f"{dead}/skadi",
    }
    result = runner.invoke(
        app,
        ["fetch", str(tmp_path / "region"), "--bbox", "103.98,25.98,104.02,26.02", "--country", "CHN",
         "--cache-dir", str(tmp_path / "cache"), "--retries", "1"],
        env=mirrors,
    )  # fmt: skip
    assert result.exit_code == 2
    message = " ".join(result.output.split())
    assert f"{dead}/api/interpreter" in message
    assert "--overpass-url" in message and "FACILITY_LAYOUT_OVERPASS_URL" in message
    assert "connection" in message.lower() and "Traceback" not in message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache"]  # no region, no staging folder


def test_area_must_be_given_once(tmp_path: Path) -> None:
    result = runner.invoke(app, ["fetch", str(tmp_path / "r"), "--country", "CHN"])
    assert result.exit_code == 2 and "exactly one of --place, --bbox, --boundary" in result.output
    result = runner.invoke(app, ["fetch", str(tmp_path / "r"), "--bbox", "1,2,3", "--country", "CHN"])
    assert result.exit_code == 2 and "not four numbers" in result.output
    assert not (tmp_path / "r").exists()


def test_boundary_file_and_unknown_year(fetched, server: Server, county: Path, tmp_path: Path) -> None:
    _, cache, _ = fetched
    before = len(server.log)
    args = [*endpoint_args(server.url), "--cache-dir", str(cache), "--country", "CHN"]
    result = runner.invoke(app, ["fetch", str(tmp_path / "b"), "--boundary", str(county / "boundary.geojson"), *args])
    assert result.exit_code == 0, result.output
    assert len(server.log) == before  # the same outline asks the same queries: all from the cache
    assert (
        yaml.safe_load((tmp_path / "b" / "scenario.yaml").read_text(encoding="utf-8"))["region"]["name"] == "boundary"
    )
    result = runner.invoke(app, ["fetch", str(tmp_path / "c"), "--boundary", str(county / "boundary.geojson"), *args,
                                 "--year", "2015"])  # fmt: skip
    assert result.exit_code == 2
    assert "no CHN population raster for 2015 (years: 2019–2020)" in " ".join(result.output.split())
    assert not (tmp_path / "c").exists()
