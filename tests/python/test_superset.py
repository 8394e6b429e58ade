"""Apache Superset on the demo's published marts: `bash scripts/superset.sh` started for real, every dashboard
of bi/superset opened in headless Chromium, every chart's query run through Superset's chart data API.

Slow (Superset's start, a browser per dashboard) and needs .venv-superset and Chromium, so it runs only when
RFM_TEST_SUPERSET=1, which scripts/test_extras.sh sets after installing both. With
RFM_SUPERSET_SCREENSHOTS=DIR it also keeps the screenshots there (docs/superset_*.png are made that way).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import PROJECT_DIR, Workspace

sys.path.insert(0, str(PROJECT_DIR / "scripts"))
import report  # noqa: E402

pytestmark = pytest.mark.skipif(
    os.environ.get("RFM_TEST_SUPERSET") != "1", reason="set RFM_TEST_SUPERSET=1 (scripts/test_extras.sh does)"
)
DASHBOARDS = {  # slug -> charts it holds
    "rfm-segment-summary": 5, "rfm-segment-trend": 2, "rfm-segment-migration": 1, "rfm-data-quality": 3,
}
# What a chart shows instead of its data: an error or warning panel, an empty result, a spinner.
FAILURE_MARKERS = ("ant-alert", "error-alert", "No results", 'data-test="loading-indicator"', "Unexpected error")
START_TIMEOUT_S = 300  # a first run installs requirements-superset.txt


@dataclass
class Superset:
    url: str
    token: str

    def api(self, path: str, body: dict[str, Any] | None = None) -> Any:
        request = urllib.request.Request(
            self.url + path, data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.load(response)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"scripts/superset.sh exited {proc.returncode}:\n{log.read_text()[-3000:]}", pytrace=False)
        try:
            with urllib.request.urlopen(url + "/health", timeout=5) as response:
                if response.read() == b"OK":
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(2)
    pytest.fail(f"Superset did not answer within {START_TIMEOUT_S} s:\n{log.read_text()[-3000:]}", pytrace=False)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the launcher's process group (Superset ignores SIGTERM at times: SIGKILL after 10 s)."""
    for sig, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture(scope="module")
def superset(demo_build: Workspace, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Superset]:
    home = tmp_path_factory.mktemp("superset")
    port = free_port()
    env = {**demo_build.env, "RFM_SUPERSET_HOME": str(home), "RFM_SUPERSET_PORT": str(port),
           "RFM_SUPERSET_PUBLIC_DASHBOARDS": "1"}
    log = home / "superset.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(["bash", str(PROJECT_DIR / "scripts" / "superset.sh")], cwd=PROJECT_DIR, env=env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_up(url, proc, log)
        login = {"username": "admin", "password": (home / "admin_password").read_text().strip(), "provider": "db"}
        request = urllib.request.Request(url + "/api/v1/security/login", data=json.dumps(login).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            yield Superset(url, json.load(response)["access_token"])
    finally:
        stop(proc)


def chart_query(form: dict[str, Any]) -> dict[str, Any]:
    """The query a chart runs, from its saved form data: every column it groups or lists, every metric."""
    def listed(*keys: str) -> list[Any]:
        values = [form.get(key) for key in keys]
        return [item for value in values if value for item in (value if isinstance(value, list) else [value])]

    datasource_id, datasource_type = form["datasource"].split("__")
    return {
        "datasource": {"id": int(datasource_id), "type": datasource_type},
        "queries": [{"columns": listed("x_axis", "groupby", "groupbyRows", "groupbyColumns", "all_columns"),
                     "metrics": listed("metric", "metrics"), "row_limit": 10000, "filters": [], "orderby": []}],
        "result_format": "json", "result_type": "full",
    }


def distinct_pixel_bytes(png: Path) -> int:
    """Distinct byte values of the decoded image data: a handful for a blank page, hundreds for charts."""
    data, chunks = png.read_bytes(), []
    position = 8
    while position < len(data):
        length = int.from_bytes(data[position:position + 4], "big")
        if data[position + 4:position + 8] == b"IDAT":
            chunks.append(data[position + 8:position + 8 + length])
        position += 12 + length
    return len(set(zlib.decompress(b"".join(chunks))))


# One test, not one per dashboard: pytest-xdist would spread them over both workers and start Superset twice.
def test_every_dashboard_loads_queries_and_renders(superset: Superset, tmp_path: Path,
                                                     subtests: pytest.Subtests) -> None:
    found = superset.api("/api/v1/dashboard/?q=(page_size:100)")["result"]
    assert sorted(d["slug"] for d in found) == sorted(DASHBOARDS)
    for slug in DASHBOARDS:
        with subtests.test("every chart queries rows", slug=slug):
            check_chart_queries(superset, slug)
        with subtests.test("the dashboard renders every chart", slug=slug):
            check_render(superset, slug, tmp_path)


def check_chart_queries(superset: Superset, slug: str) -> None:
    charts = superset.api(f"/api/v1/dashboard/{slug}/charts")["result"]
    assert len(charts) == DASHBOARDS[slug]
    for chart in charts:
        try:
            result = superset.api("/api/v1/chart/data", chart_query(chart["form_data"]))["result"][0]
        except urllib.error.HTTPError as exc:
            pytest.fail(f"{slug} / {chart['slice_name']}: HTTP {exc.code} {exc.read()[:500]!r}", pytrace=False)
        assert result.get("error") is None, (chart["slice_name"], result["error"])
        assert result["rowcount"] > 0, f"{slug} / {chart['slice_name']} returned no rows"


def check_render(superset: Superset, slug: str, tmp_path: Path) -> None:
    keep = os.environ.get("RFM_SUPERSET_SCREENSHOTS")
    png = (Path(keep) if keep else tmp_path) / f"superset_{slug}.png"
    png.parent.mkdir(parents=True, exist_ok=True)
    proc = report.run_chromium(
        f"{superset.url}/superset/dashboard/{slug}/?standalone=1", "--window-size=1400,900",
        "--virtual-time-budget=25000", f"--screenshot={png.resolve()}", "--dump-dom",
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    dom = proc.stdout
    assert dom.count('data-test="chart-container"') == DASHBOARDS[slug], dom[-3000:]
    assert [marker for marker in FAILURE_MARKERS if marker in dom] == []
    assert distinct_pixel_bytes(png) > 100, f"{png} looks blank"
