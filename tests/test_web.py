"""The curator page: served by the app, and driven in headless Chromium against the real app
(under uvicorn) validating a fixture plate from a real data server."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.settings import Settings
from tests.casekit import ome_of, plate_tree
from tests.rule_cases import materialize
from tests.test_api_support import ServiceThread, settings_for
from validator import versions as ngff
from validator.testing.dataserver import DataServer
from validator.testing.plates import write_plate

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ARTIFACTS = Path(__file__).parent / "artifacts"
BROKEN_AXIS = "multiscales.axes.space-count"


def settings(tmp_path: Path) -> Settings:
    """The service as deployed, but allowed to fetch from 127.0.0.1 (the data server)."""
    return settings_for(tmp_path, allowed_hosts=["127.0.0.1"], rate_limit=100_000)


# -- served -----------------------------------------------------------------------------------


def test_page_and_assets_are_served(tmp_path: Path) -> None:
    with ServiceThread.create(settings(tmp_path)) as service, service.client() as client:
        page = client.get("/")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert "script-src 'self'" in page.headers["content-security-policy"]
        for needle in ('<label for="url">Dataset URL</label>', 'id="version"', 'id="strict"',
                       'role="tree"', 'src="/static/app.js"', 'href="/static/style.css"'):
            assert needle in page.text
        script = client.get("/static/app.js")
        assert script.status_code == 200 and "javascript" in script.headers["content-type"]
        assert "/v1/jobs" in script.text
        assert client.get("/static/style.css").headers["content-type"].startswith("text/css")
        # The helpers both scripts use (common.js) load first; neither defines them again.
        common = client.get("/static/common.js")
        assert common.status_code == 200 and "window.Page" in common.text
        order = [page.text.index(f'src="/static/{name}"')
                 for name in ("common.js", "app.js", "batch.js")]
        assert order == sorted(order)
        for name in ("app.js", "batch.js"):
            text = client.get(f"/static/{name}").text
            assert "window.Page" in text and "function el(" not in text
        for missing in ("/static/index.html", "/static/nope.js", "/static/..%2Fapp.py"):
            response = client.get(missing)
            assert response.status_code == 404
            assert response.headers["content-type"] == "application/problem+json"
        assert "/" not in client.get("/openapi.json").json()["paths"]  # not part of the API


# -- in a browser -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's chromium, headless, launched once for this module."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):  # CI installs it (.ci/system-deps): never skip there
            pytest.fail("CI must provide Debian's chromium at /usr/bin/chromium")
        pytest.skip("needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)")
    from playwright import sync_api
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def browser_page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def plate_server(tmp_path: Path) -> Iterator[DataServer]:
    """Serves ``plate.ome.zarr``: a 0.5 plate with one broken field (A/1/0), one missing
    level (B/2/1/1) and one well without findings (B/1)."""
    tree = plate_tree("0.5")
    ome_of(tree, "A/1/0", "0.5")["multiscales"][0]["axes"][0]["type"] = "bogus"
    del tree["B/2/1/1/zarr.json"]
    for field in ("B/1/0", "B/1/1"):
        ome_of(tree, field, "0.5")["multiscales"][0].update(
            type="gaussian", metadata={"method": "skimage.transform.pyramid_gaussian"})
    materialize(tree, tmp_path / "data" / "plate.ome.zarr")
    with DataServer(tmp_path / "data") as server:
        yield server


@pytest.mark.browser
def test_version_selector_lists_the_registry(browser_page: Any, tmp_path: Path) -> None:
    """The page's NGFF version choices come from /v1/versions, i.e. from the registry."""
    from playwright.sync_api import expect

    page = browser_page
    with ServiceThread.create(settings(tmp_path)) as service:
        page.goto(service.url + "/")
        options = page.locator("#version option")
        expect(options).to_have_count(1 + len(ngff.ids()))
        assert options.all_inner_texts() == ["as declared", *ngff.ids()]
        expect(page.locator("#ngff-versions")).to_have_text(" " + ", ".join(ngff.ids()))


@pytest.mark.browser
def test_curator_validates_a_plate_in_the_browser(
    browser_page: Any, plate_server: DataServer, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    page = browser_page
    plate_url = f"{plate_server.url}/plate.ome.zarr"
    plate_server.delay = 0.25  # slow enough to see the progress (the walk is 4 levels deep)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    with ServiceThread.create(settings(tmp_path)) as service:
        base = service.url
        page.goto(base + "/")
        page.get_by_label("Dataset URL").fill(plate_url)
        page.get_by_role("button", name="Validate").click()
        expect(page.locator("#progress-text")).to_contain_text("documents known so far")
        expect(page.locator("#progress-text")).to_contain_text("findings so far")
        plate_server.delay = 0
        # The report: verdict, the tree opened down to the failing nodes, the findings.
        expect(page.locator("#verdict")).to_contain_text("Invalid")
        expect(page.locator("#verdict")).to_contain_text("0.5")
        expect(page.locator("#summary-counts")).to_contain_text("2 errors")
        assert "?job=" in page.url
        tree = page.get_by_role("tree")
        broken = tree.locator('[role=treeitem][data-path="A/1/0"]')
        expect(broken).to_be_visible()
        expect(broken).to_contain_text("field")
        expect(broken.locator(".mark").first).to_have_class("mark error")
        expect(tree.locator('[data-path="B/2/1"]')).to_be_visible()
        healthy = tree.locator('[data-path="A/2"]')  # warnings only: listed, left collapsed
        expect(healthy).to_have_attribute("aria-expanded", "false")
        expect(page.locator("#severity-counts")).to_contain_text("2")

        # Findings grouped by rule, errors first; a group opens to its nodes.
        groups = page.locator("#groups .group")
        expect(groups.first).to_have_class("group error")
        expect(groups.nth(1)).to_have_class("group error")
        axis = groups.filter(has_text=BROKEN_AXIS)
        expect(axis).to_have_count(1)
        expect(axis.locator("summary")).to_contain_text("1 finding on 1 node")
        expect(axis.locator("summary")).to_contain_text("at A/1/0")
        axis.locator("summary").click()
        row = axis.locator(".group-body li")
        expect(row).to_contain_text("zarr.json#/attributes/ome/multiscales/0/axes")
        expect(axis.locator(".group-body a.spec")).to_have_attribute(
            "href", "https://ngff.openmicroscopy.org/0.5/#multiscale-md")
        warning_group = groups.filter(has_text="multiscales.type.present")
        expect(warning_group.locator("summary")).to_contain_text("6 findings on 6 nodes")
        expect(warning_group.locator("summary")).to_contain_text(
            "at A/1/0, A/1/1, A/2/0, A/2/1, B/2/0 and 1 more")

        # The healthy well is in the tree too (from the nodes the job visited), closed; its
        # fields and levels are fetched when it is opened.
        well = tree.locator('[role=treeitem][data-path="B/1"]')
        expect(well).to_have_attribute("aria-expanded", "false")
        expect(well.locator(".mark").first).to_have_class("mark ok")
        expect(well.locator(".node-kind").first).to_have_text("well")
        expect(tree.locator('[data-path="B/1/0"]')).to_have_count(0)
        well.locator(".twisty").first.click()
        expect(well).to_have_attribute("aria-expanded", "true")
        field = tree.locator('[role=treeitem][data-path="B/1/1"]')
        expect(field.locator(".mark").first).to_have_class("mark ok")
        expect(field).to_have_attribute("aria-expanded", "false")
        field.locator(".twisty").first.click()
        level = tree.locator('[role=treeitem][data-path="B/1/1/1"]')
        expect(level.locator(".node-kind")).to_have_text("level · array")
        expect(level).not_to_have_attribute("aria-expanded", "false")

        # An array's metadata, as the walk read it: no fetch from the data server.
        requests_before = plate_server.stats.requests
        level.locator(".node-name").click()
        node = page.locator("#node")
        expect(node.locator("#node-title")).to_contain_text("B/1/1/1")
        dims = node.locator("table.dims")
        expect(dims).to_contain_text("shape")
        expect(dims.locator("thead")).to_contain_text("y")
        expect(node.locator("dl.meta")).to_contain_text("Data type")
        expect(node.locator("dl.meta")).to_contain_text("Codecs")
        expect(node.get_by_role("link", name="zarr.json")).to_have_attribute(
            "href", f"{plate_url}/B/1/1/1/zarr.json")
        expect(node.locator("pre.json")).to_contain_text('"node_type": "array"')
        assert plate_server.stats.requests == requests_before

        # Keyboard: select the broken field with the arrow keys and Enter: its metadata with
        # the offending value highlighted, and the rule named on its first line.
        tree.locator("[role=treeitem][tabindex='0']").focus()
        page.keyboard.press("Home")
        for _ in range(30):
            if page.evaluate("document.activeElement.dataset.path") == "A/1/0":
                break
            page.keyboard.press("ArrowDown")
        page.keyboard.press("Enter")
        expect(node.locator("#node-title")).to_contain_text("A/1/0")
        expect(node.locator(".node-findings")).to_contain_text(BROKEN_AXIS)
        hit = node.locator("pre.json .line.hit-start.error")
        expect(hit.first).to_contain_text('"axes"')
        expect(hit.first.locator(".hit-note")).to_contain_text(BROKEN_AXIS)
        assert node.locator("pre.json .line.hit").count() > 3  # the whole axes list
        expect(node.get_by_role("link", name="vizarr")).to_have_attribute(
            "href", re.compile(r"^https://hms-dbmi\.github\.io/vizarr/\?source=http"))
        expect(node.get_by_role("link", name="neuroglancer")).to_have_attribute(
            "href", re.compile(r"^https://neuroglancer-demo\.appspot\.com/#!"))

        # Filter by severity (errors only), then by rule.
        severities = page.get_by_role("group", name="Show findings of severity")
        severities.get_by_label("warnings").uncheck()
        severities.get_by_label("infos").uncheck()
        expect(groups).to_have_count(2)
        page.get_by_label("Rule", exact=True).select_option(BROKEN_AXIS)
        expect(groups).to_have_count(1)
        expect(tree.locator('[data-path="B/2"] .mark').first).to_have_class("mark ok")
        page.get_by_label("Rule", exact=True).select_option("")
        severities.get_by_label("warnings").check()
        severities.get_by_label("infos").check()

        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "web-report.png"), full_page=True)

        # Downloads are the job's report in each format.
        sarif = page.request.get(page.locator("#dl-sarif").get_attribute("href") or "")
        assert json.loads(sarif.text())["version"] == "2.1.0"
        junit = page.request.get(page.locator("#dl-junit").get_attribute("href") or "")
        assert junit.ok and "<testsuites" in junit.text()
        # The shareable link reloads the report.
        link = page.locator("#share-link").input_value()
        page.goto("about:blank")
        page.goto(link)
        expect(page.locator("#verdict")).to_contain_text("Invalid")
        expect(page.get_by_label("Dataset URL")).to_have_value(plate_url)

        # On a phone: one column, nothing wider than the screen.
        phone = page.context.browser.new_context(viewport={"width": 390, "height": 844})
        try:
            small = phone.new_page()
            small.on("pageerror", lambda exc: errors.append(str(exc)))
            small.goto(link)
            expect(small.locator("#verdict")).to_contain_text("Invalid")
            expect(small.locator("#tree [role=treeitem]").first).to_be_visible()
            lefts = {small.locator(selector).bounding_box()["x"]  # type: ignore[index]
                     for selector in (".groups-pane", ".tree-pane", ".node-pane", "#summary")}
            assert len(lefts) == 1, lefts
            assert small.evaluate("document.documentElement.scrollWidth") <= 390
            small.screenshot(path=str(ARTIFACTS / "web-phone.png"), full_page=True)
        finally:
            phone.close()
    assert not errors, errors


def big_plate_job(rows: int = 32, columns: int = 48, fields: int = 2) -> dict[str, Any]:
    """A finished job of a 1536-well plate with two warnings on every field and one error."""
    findings = []
    for r in range(rows):
        for c in range(columns):
            for f in range(fields):
                node = f"{chr(65 + r) if r < 26 else 'A' + chr(65 + r - 26)}/{c + 1}/{f}"
                for rule in ("multiscales.metadata.present", "multiscales.type.present"):
                    findings.append({"rule": rule, "severity": "warning", "node": node,
                                     "document": "zarr.json", "pointer": "/attributes/ome",
                                     "message": "missing", "spec": "https://example.org/s"})
    findings.append({"rule": BROKEN_AXIS, "severity": "error", "node": "C/7/1",
                     "document": "zarr.json", "pointer": "/attributes/ome/multiscales/0/axes",
                     "message": "bad axes", "spec": "https://example.org/s"})
    wells = rows * columns
    report = {
        "report_version": "1", "target": "https://example.org/big.ome.zarr", "valid": False,
        "strict": False, "ngff_version": "0.5", "zarr_format": 3, "truncated": False,
        "skipped": [], "counts": {"error": 1, "warning": len(findings) - 1, "info": 0},
        "nodes": {"plate": 1, "well": wells, "image": wells * fields,
                  "array": wells * fields * 2},
        "stats": {"documents": 1, "requests": 1, "bytes": 1, "seconds": 1.0},
        "findings": findings,
    }
    progress = {"documents": 1, "known": 1, "findings": len(findings), "requests": 1}
    return {"id": "big", "status": "done", "url": report["target"], "ngff_version": None,
            "strict": False, "created_at": "", "started_at": None, "finished_at": None,
            "progress": progress, "valid": False, "truncated": False, "error": None,
            "error_type": None, "report_url": "/v1/jobs/big/report", "report": report}


@pytest.mark.browser
def test_a_1536_well_plate_renders_lazily(browser_page: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    page = browser_page
    body = json.dumps(big_plate_job())
    with ServiceThread.create(settings(tmp_path)) as service:
        base = service.url
        page.route("**/v1/jobs/big*", lambda route: route.fulfill(
            status=200, content_type="application/json", body=body))
        started = time.monotonic()
        page.goto(base + "/?job=big")
        expect(page.locator("#verdict")).to_contain_text("Invalid")
        seconds = time.monotonic() - started
        tree = page.get_by_role("tree")
        expect(tree.locator('[data-path="C/7/1"]')).to_be_visible()  # the way to the error
        items = tree.locator("[role=treeitem]").count()
        assert items < 150, items  # not 1536 wells x 2 fields
        groups = page.locator("#groups .group")
        expect(groups).to_have_count(3)  # 6145 findings of 3 rules, the error first
        expect(groups.first).to_have_class("group error")
        expect(groups.nth(1).locator("summary")).to_contain_text(
            "3,072 findings on 3,072 nodes")
        expect(groups.nth(1).locator("summary")).to_contain_text("and 3,067 more")
        groups.nth(1).locator("summary").click()
        rows = groups.nth(1).locator(".group-body li")
        expect(rows).to_have_count(100)  # a page of nodes, not 3072
        expect(rows.nth(1)).to_contain_text("A/1/1")
        expect(rows.nth(2)).to_contain_text("A/2/0")  # natural order: A/2 before A/10
        groups.nth(1).get_by_role("button", name="Show 100 more").click()
        expect(rows).to_have_count(200)
        # Expanding a row with 48 wells renders those wells only.
        row_a = tree.locator('[data-path="A"]')
        row_a.click()
        expect(row_a).to_have_attribute("aria-expanded", "true")
        assert tree.locator("[role=treeitem]").count() < items + 60
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "web-big-plate.png"))
    assert seconds < 10, seconds


@pytest.mark.browser
def test_core_plate_first_screen(browser_page: Any, tmp_path: Path) -> None:
    """The benchmarks' valid 384-well plate at 1400x1000: the verdict and the first finding
    group above the fold, tree labels whole, and a selected array's metadata beside them."""
    from playwright.sync_api import expect

    page = browser_page
    write_plate(tmp_path / "data" / "plate.ome.zarr", version="0.5", rows=16, columns=24,
                fields=2, levels=2)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    with DataServer(tmp_path / "data") as data, ServiceThread.create(settings(tmp_path)) as svc:
        page.goto(svc.url + "/")
        page.get_by_label("Dataset URL").fill(f"{data.url}/plate.ome.zarr")
        page.get_by_role("button", name="Validate").click()
        expect(page.locator("#verdict")).to_contain_text("Valid", timeout=60_000)
        expect(page.locator("#summary-counts")).to_contain_text("1,536 warnings")
        tree = page.get_by_role("tree")
        for path in ("A", "A/1", "A/1/0"):
            item = tree.locator(f'[role=treeitem][data-path="{path}"]')
            item.locator(".twisty").first.click()
            expect(item).to_have_attribute("aria-expanded", "true")
        tree.locator('[role=treeitem][data-path="A/1/0/s0"] .node-name').click()
        dims = page.locator("#node table.dims")
        expect(dims).to_contain_text("64")
        page.evaluate("window.scrollTo(0, 0)")
        height = 1000

        def bottom(selector: str) -> float:
            box = page.locator(selector).first.bounding_box()
            assert box is not None, selector
            return float(box["y"] + box["height"])

        assert bottom("#summary .verdict-line") < height
        assert bottom("#groups .group") < height  # the first finding group
        assert bottom("#node table.dims") < height
        assert bottom("#node dl.meta") < height
        # Tree labels are never cut: each name fits in its box, and its box in the pane.
        clipped = page.evaluate("""() => {
            const pane = document.querySelector('.tree-pane').getBoundingClientRect();
            return [...document.querySelectorAll('#tree .node-name, #tree .node-kind')]
              .filter((e) => e.scrollWidth > e.clientWidth + 1
                      || e.getBoundingClientRect().right > pane.right)
              .map((e) => e.textContent);
        }""")
        assert clipped == []
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "web-core-plate.png"))

        # The same report on a phone: one column, no sideways scrolling, a few screens tall
        # (the flat list of 4608 findings made it 7,500 px).
        phone = page.context.browser.new_context(viewport={"width": 390, "height": 844})
        try:
            small = phone.new_page()
            small.on("pageerror", lambda exc: errors.append(str(exc)))
            small.goto(page.url)
            expect(small.locator("#verdict")).to_contain_text("Valid", timeout=30_000)
            expect(small.locator("#tree [role=treeitem]").first).to_be_visible()
            assert small.evaluate("document.documentElement.scrollWidth") <= 390
            assert small.evaluate("document.documentElement.scrollHeight") < 3000
            small.screenshot(path=str(ARTIFACTS / "web-core-plate-phone.png"), full_page=True)
        finally:
            phone.close()
    assert not errors, errors


@pytest.mark.browser
def test_api_docs_render_with_the_network_cut(browser_page: Any, tmp_path: Path) -> None:
    """/docs (Swagger UI) and /redoc load their assets from the service: with every request
    to anywhere else refused, both still list the operations."""
    from playwright.sync_api import expect

    page = browser_page
    with ServiceThread.create(settings(tmp_path)) as service:
        blocked: list[str] = []

        def only_the_service(route: Any) -> None:
            if route.request.url.startswith(service.url + "/"):
                route.continue_()
            else:
                blocked.append(route.request.url)
                route.abort()

        page.route("**/*", only_the_service)
        page.goto(service.url + "/docs")
        operations = page.locator(".opblock-summary")
        expect(operations.first).to_be_visible(timeout=15_000)
        assert operations.count() >= 8
        expect(page.locator("body")).to_contain_text("Start a validation job")
        expect(page.locator("body")).to_contain_text("/v1/jobs/{job_id}/node")
        page.goto(service.url + "/redoc")
        expect(page.get_by_role("heading", name="Start a validation job")).to_be_visible(
            timeout=15_000)
        assert blocked == []
        with service.client() as client:
            assert client.get("/docs/assets/nope.js").status_code == 404
            for path in ("/docs", "/redoc"):  # the browser is told: this origin only
                assert "img-src 'self' data:;" in client.get(path).headers[
                    "content-security-policy"]
            schema = client.get("/openapi.json").json()
        delete = schema["paths"]["/v1/jobs/{job_id}"]["delete"]
        assert "204" in delete["responses"]
        assert "deleted with its report and its nodes" in delete["description"]


@pytest.mark.browser
def test_an_incomplete_report_says_so(browser_page: Any, tmp_path: Path) -> None:
    """Incomplete is its own outcome on the page: its own badge and the reasons, never
    "valid" for what was not checked."""
    from playwright.sync_api import expect

    page = browser_page
    job = big_plate_job(rows=2, columns=2)
    job["id"] = "part"
    report = job["report"]
    report["findings"] = [f for f in report["findings"] if f["severity"] != "error"]
    report.update(valid=False, verdict="incomplete", complete=False, truncated=True,
                  incomplete_reasons=["the deadline of 600 s was reached"],
                  skipped=["the deadline of 600 s was reached"],
                  counts={"error": 0, "warning": len(report["findings"]), "info": 0})
    body = json.dumps(job)
    with ServiceThread.create(settings(tmp_path)) as service:
        page.route("**/v1/jobs/part*", lambda route: route.fulfill(
            status=200, content_type="application/json", body=body))
        page.goto(service.url + "/?job=part")
        verdict = page.locator("#verdict")
        expect(verdict).to_contain_text("Incomplete")
        expect(verdict.locator(".badge")).to_have_class("badge incomplete")
        assert "Valid" not in verdict.inner_text().replace("Incomplete", "")
        expect(page.locator("#truncated")).to_contain_text("the deadline of 600 s was reached")
        expect(page.locator("#truncated")).to_contain_text("not everything was checked")


def test_an_incomplete_report_is_shown_as_incomplete_never_valid(browser_page: Any,
                                                                  tmp_path: Path) -> None:
    from playwright.sync_api import expect

    job = big_plate_job(rows=1, columns=2, fields=1)
    reason = "the deadline of 60 s was reached before the walk ended"
    report = job["report"]
    report["findings"] = [f for f in report["findings"] if f["severity"] != "error"]
    report["counts"] = {"error": 0, "warning": len(report["findings"]), "info": 0}
    report.update(valid=False, verdict="incomplete", complete=False, truncated=True,
                  incomplete_reasons=[reason], skipped=[f"walk stopped early: {reason}"],
                  notes=[])
    job.update(valid=False, verdict="incomplete", complete=False, truncated=True)
    body = json.dumps(job)
    page = browser_page
    with ServiceThread.create(settings(tmp_path)) as service:
        page.route("**/v1/jobs/big*", lambda route: route.fulfill(
            status=200, content_type="application/json", body=body))
        page.goto(service.url + "/?job=big")
        expect(page.locator("#verdict")).to_contain_text("Incomplete")
        expect(page.locator("#verdict")).not_to_contain_text("Valid")
        expect(page.locator("#truncated")).to_contain_text(reason)
