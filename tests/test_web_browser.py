"""The explorer page in a real Chromium, driven by Playwright against a live server.

Needs Debian's ``chromium`` at /usr/bin/chromium (``.ci/browser`` installs
it). Without it these tests skip, except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from waystation.api import package_version

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
TIMEOUT_MS = 120_000
WORLDS = 300

if not CHROMIUM.exists():
    reason = f"{CHROMIUM} not found: run .ci/browser (installs Debian's chromium)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser tests must run in CI: {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
pytest.importorskip("uvicorn", reason="the web extra is not installed")

FAST_YAML = """\
name: fast
description: The default actors over four years, for quick page tests.
time: {start: 2026, horizon: 2030, dt: 0.5}
nature:
  hardness: 0.25 to 4
levers:
  spillover: 0.3
actors:
  - name: leading-lab
    frontier: 0
    safety_range: 0.6
    levers: {ai_safety_share: 0.05, caution: 0.4}
  - name: state-project
    frontier: -0.6
    safety_range: 0.2
    levers: {ai_safety_share: 0.02, caution: 0.15}
"""

BAD_YAML = """\
name: broken
actors:
  - name: lab
    levers:
      ai_safety_share: 0.1
      caution: 7
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """A uvicorn process serving ``create_app()`` on a free loopback port."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "waystation.web:create_app", "--factory",
               "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]  # fmt: skip
    proc = subprocess.Popen(command)
    origin = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{origin}/api/registry", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the server did not start (exit code {proc.poll()})")
            time.sleep(0.2)
        yield origin
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield b
        b.close()


class Page:
    """A page on the explorer that records every request and console error."""

    def __init__(self, page: Any, origin: str) -> None:
        self.page, self.origin = page, origin
        self.requests: list[str] = []
        self.console_errors: list[str] = []
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))
        page.on("pageerror", lambda e: self.console_errors.append(str(e)))
        page.set_default_timeout(TIMEOUT_MS)

    def runs(self) -> int:
        return int(self.page.evaluate("window.runCount"))

    def wait_for_run(self, after: int) -> None:
        """Wait until a run newer than ``after`` is drawn and nothing is pending."""
        self.page.wait_for_function(
            "n => window.runCount > n && document.body.dataset.state === 'idle'", arg=after
        )

    def upload(self, path: Path) -> None:
        self.page.set_input_files("#upload", str(path))

    def p_victory(self) -> float:
        return float(self.page.get_attribute("#p-victory", "data-value"))


def link_token(data: dict[str, Any]) -> str:
    """A page link's hash, made the way the page makes it: deflate-raw JSON in base64url."""
    packer = zlib.compressobj(wbits=-15)
    raw = packer.compress(json.dumps(data).encode()) + packer.flush()
    return "v1." + base64.urlsafe_b64encode(raw).decode().rstrip("=")


@contextmanager
def opened(browser: Any, server: str, url: str) -> Iterator[Page]:
    """A page on ``url`` after its first run; no request leaves the server, no script error."""
    context = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 1000})
    page = Page(context.new_page(), server)
    page.page.goto(url)
    page.wait_for_run(0)
    yield page
    outside = [u for u in page.requests
               if not (u.startswith(server + "/") or u.startswith(f"blob:{server}/"))]  # fmt: skip
    assert outside == [], f"requests outside the local server: {outside}"
    expected = "the server responded with a status of 422"  # refused inputs, shown on the page
    assert [e for e in page.console_errors if expected not in e] == []
    context.close()


@pytest.fixture
def ui(browser: Any, server: str) -> Iterator[Page]:
    with opened(browser, server, f"{server}/?worlds={WORLDS}&seed=7") as page:
        yield page


@pytest.fixture
def fast_ui(browser: Any, server: str) -> Iterator[Page]:
    """The page opened on a link holding the fast scenario (cheap: no default-scenario run)."""
    data = {"v": package_version(), "u": yaml.safe_load(FAST_YAML), "st": "default",
            "w": WORLDS, "s": 7}  # fmt: skip
    with opened(browser, server, f"{server}/#{link_token(data)}") as page:
        yield page


@pytest.fixture
def fast_file(tmp_path: Path) -> Path:
    path = tmp_path / "fast.yaml"
    path.write_text(FAST_YAML, encoding="utf-8")
    return path


def load_fast(ui: Page, fast_file: Path) -> None:
    before = ui.runs()
    ui.upload(fast_file)
    ui.wait_for_run(before)
    assert ui.page.input_value("#scenario-select") == "__upload__"


def replay(ui: Page) -> dict[str, Any]:
    """POST the page's last run request to the API directly."""
    body = ui.page.evaluate("window.lastRequest")
    response = httpx.post(f"{ui.origin}/api/run", json=body, timeout=TIMEOUT_MS / 1000)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_page_loads_with_controls_results_and_diagram(ui: Page) -> None:
    page = ui.page
    assert page.title() == "waystation explorer"
    assert page.input_value("#scenario-select") == "default"
    assert page.input_value("#worlds") == str(WORLDS)
    for outcome in ("victory", "costly_non_failure", "failure"):
        assert 0.0 <= float(page.text_content(f"#p-{outcome}") or "nan") <= 1.0
    assert page.locator("#diagram .main-svg").count() >= 1
    assert page.locator("#outcomes-chart .main-svg").count() >= 1
    assert page.locator("#waystations-table tbody tr").count() == 6
    slider = page.locator("#lever-leading-lab-caution")
    assert slider.get_attribute("type") == "range"
    assert "Source:" in (slider.get_attribute("title") or "")
    assert page.input_value("#param-hardness") == "0.25 to 4"
    assert page.get_attribute("#param-g_hardware", "type") == "number"
    assert page.locator("#lever-global-spillover").count() == 1
    link = copied_link(ui)  # the shipped scenario, unedited, at the query's worlds and seed
    data = page.evaluate("h => window.waystationLink.decode(h)", link.split("#", 1)[1])
    assert data["b"] == "default" and "e" not in data and (data["w"], data["s"]) == (WORLDS, 7)


def test_slider_moves_p_victory_to_what_the_api_returns(ui: Page, fast_file: Path) -> None:
    load_fast(ui, fast_file)
    before_value, before = ui.p_victory(), ui.runs()
    ui.page.locator("#lever-leading-lab-ai_safety_share").fill("1")
    ui.wait_for_run(before)
    sent = ui.page.evaluate("window.lastRequest")
    assert sent["scenario"]["actors"][0]["levers"]["ai_safety_share"] == 1.0
    assert sent["worlds"] == WORLDS and sent["seed"] == 7
    expected = replay(ui)["probabilities"]["victory"]
    assert ui.p_victory() == expected != before_value
    assert ui.page.text_content("#p-victory") == f"{expected:.4f}"


def test_malformed_upload_shows_located_errors(ui: Page, tmp_path: Path) -> None:
    bad = tmp_path / "broken.yaml"
    bad.write_text(BAD_YAML, encoding="utf-8")
    ui.upload(bad)
    errors = ui.page.locator("#errors")
    errors.wait_for(state="visible")
    text = errors.text_content() or ""
    assert "broken.yaml:6: actors[0].levers.caution:" in text
    assert "bounds" in text
    assert ui.page.locator("#status.error").count() == 1


def test_field_error_appears_next_to_the_control(ui: Page, fast_file: Path) -> None:
    load_fast(ui, fast_file)
    ui.page.fill("#param-hardness", "4 to 1 to 2")
    ui.page.press("#param-hardness", "Enter")
    slot = ui.page.locator("#param-hardness-error")
    slot.wait_for(state="visible")
    assert slot.text_content()
    assert "nature.hardness" in (ui.page.text_content("#errors") or "")


def test_compare_two_strategies(ui: Page, fast_file: Path) -> None:
    load_fast(ui, fast_file)
    ui.page.select_option("#strategy-select", "default")
    ui.page.select_option("#compare-strategy", "race")
    ui.page.click("#compare-run")
    rows = ui.page.locator("#compare-table tbody tr.compare-row")
    rows.first.wait_for()
    assert rows.count() == 3
    head = ui.page.text_content("#compare-table thead") or ""
    assert "default" in head and "race" in head
    data = ui.page.evaluate("window.lastComparison")
    for i in range(3):  # every cell as the server wrote it: the CLI's and the report's strings
        row = rows.nth(i)
        o = row.get_attribute("data-outcome") or ""
        cells = row.locator("td").all_text_contents()
        assert cells[1] == data["strategies"]["default"]["shown"][o]
        assert "± " in cells[1]
        assert cells[3].startswith(data["differences"]["race"][o]["shown"])


def test_downloaded_yaml_uploads_back_to_the_same_results(
    ui: Page, fast_file: Path, tmp_path: Path
) -> None:
    load_fast(ui, fast_file)
    before = ui.runs()
    ui.page.locator("#lever-state-project-caution").fill("0.9")
    ui.wait_for_run(before)
    ui.page.select_option("#strategy-select", "race")
    ui.wait_for_run(before + 1)
    edited = ui.page.evaluate("window.lastRequest")
    p_before = ui.p_victory()
    with ui.page.expect_download() as info:
        ui.page.click("#download-yaml")
    saved = tmp_path / "roundtrip.yaml"
    info.value.save_as(saved)
    data = yaml.safe_load(saved.read_text(encoding="utf-8"))
    assert data["actors"][1]["levers"]["caution"] == 0.9
    assert data["strategy"] == "race"
    runs = ui.runs()
    ui.upload(saved)
    ui.wait_for_run(runs)
    assert ui.page.input_value("#strategy-select") == "race"
    again = ui.page.evaluate("window.lastRequest")
    assert again["scenario"]["actors"] == edited["scenario"]["actors"]
    assert ui.p_victory() == p_before


def test_results_download_as_csv_and_json(ui: Page, tmp_path: Path) -> None:
    with ui.page.expect_download() as info:
        ui.page.click("#download-csv")
    csv_path = tmp_path / "results.csv"
    info.value.save_as(csv_path)
    lines = csv_path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "quantity,value"
    victory = next(line for line in lines if line.startswith("probabilities.victory,"))
    assert float(victory.split(",")[1]) == ui.p_victory()
    with ui.page.expect_download() as info:
        ui.page.click("#download-json")
    json_path = tmp_path / "results.json"
    info.value.save_as(json_path)
    data = json.loads(json_path.read_text(encoding="utf-8"))
    assert data["results"]["probabilities"]["victory"] == ui.p_victory()
    assert data["request"]["worlds"] == WORLDS


def save(ui: Page, button: str, tmp_path: Path) -> Path:
    with ui.page.expect_download() as info:
        ui.page.click(button)
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    return path


def test_downloaded_worlds_reproduce_the_pages_probabilities(fast_ui: Page, tmp_path: Path) -> None:
    """The per-world rows of the run shown: their means are the page's probabilities."""
    import csv

    import pyarrow.parquet as pq

    outcomes = ("victory", "costly_non_failure", "failure")
    shown = {o: float(fast_ui.page.get_attribute(f"#p-{o}", "data-value")) for o in outcomes}
    with save(fast_ui, "#download-worlds-csv", tmp_path).open(newline="") as f:
        rows = list(csv.DictReader(f))
    table = pq.read_table(save(fast_ui, "#download-worlds-parquet", tmp_path))
    assert len(rows) == table.num_rows == WORLDS
    for o in outcomes:  # fixed-point sums: within n * 2**-33 of the rows' mean
        from_csv = sum(float(r[f"p_{o}"]) for r in rows) / WORLDS
        from_parquet = float(table.column(f"p_{o}").to_numpy().mean())
        assert from_csv == pytest.approx(shown[o], abs=1e-9)
        assert from_parquet == pytest.approx(shown[o], abs=1e-9)
    with save(fast_ui, "#download-dictionary", tmp_path).open(newline="") as f:
        described = [d["column"] for d in csv.DictReader(f)]
    assert described == list(rows[0]) == table.column_names


def test_cite_box_states_what_ran(fast_ui: Page) -> None:
    from waystation.provenance import model_version

    page = fast_ui.page
    page.click("#cite summary")

    def value(key: str) -> str:
        return str(page.text_content(f'#provenance dd[data-key="{key}"]'))

    assert value("model_version") == model_version()
    assert value("worlds") == str(WORLDS) and value("seed") == "7"
    assert value("permalink") == page.url and "#v1." in value("permalink")
    assert (
        value("command")
        == f"waystation run fast.yaml --worlds {WORLDS} --seed 7 --strategy default"
    )
    assert value("backend") in {"numpy", "fused-simd8", "fused-simd", "fused-exact"}
    assert "@software{waystation" in str(page.text_content("#cite-bibtex"))


# --- a shareable instrument ------------------------------------------------------


def open_page(ui: Page, url: str) -> Page:
    """Open ``url`` in a new tab of the same browser context and wait for its first run."""
    other = Page(ui.page.context.new_page(), ui.origin)
    other.page.goto(url)
    other.wait_for_run(0)
    return other


def copied_link(ui: Page) -> str:
    ui.page.click("#copy-link")
    ui.page.wait_for_function("() => document.querySelector('#share-link').value.includes('#')")
    link = ui.page.input_value("#share-link")
    assert link == ui.page.evaluate("location.href")  # the address bar holds the view too
    return link


def test_a_copied_link_reopens_the_same_view(fast_ui: Page) -> None:
    ui = fast_ui
    before = ui.runs()
    ui.page.locator("#lever-state-project-lookahead").fill("2")  # a lever race leaves alone
    ui.wait_for_run(before)
    ui.page.select_option("#strategy-select", "race")
    ui.wait_for_run(before + 1)
    link = copied_link(ui)
    assert "#v1." in link and len(link) < 2000  # compressed: the whole edited scenario fits
    other = open_page(ui, link)
    try:
        for key in ("lastRequest", "lastResult"):
            mine, theirs = (p.page.evaluate(f"window.{key}") for p in (ui, other))
            theirs.pop("elapsed_seconds", None), mine.pop("elapsed_seconds", None)
            assert theirs == mine
        assert other.page.input_value("#strategy-select") == "race"
        assert other.page.input_value("#lever-state-project-lookahead") == "2"
        assert other.page.input_value("#worlds") == str(WORLDS)
        for o in ("victory", "costly_non_failure", "failure"):
            for slot in (f"#p-{o}", f"#diff-{o}"):
                assert other.page.text_content(slot) == ui.page.text_content(slot)
        assert other.page.locator("#notice").is_hidden()
    finally:
        other.page.close()


def test_a_link_from_another_version_opens_with_a_notice(fast_ui: Page) -> None:
    ui = fast_ui
    link = copied_link(ui)
    data = ui.page.evaluate("h => window.waystationLink.decode(h)", link.split("#", 1)[1])
    assert data["u"]["name"] == "fast" and "e" not in data  # an uploaded scenario, unedited
    assert data["v"] == ui.page.text_content("#version").lstrip("v")  # type: ignore[union-attr]
    token = ui.page.evaluate("d => window.waystationLink.encode(d)", {**data, "v": "0.0.0-old"})
    other = open_page(ui, link.split("#", 1)[0] + "#" + token)
    try:
        notice = other.page.locator("#notice")
        assert notice.is_visible()
        assert "0.0.0-old" in (notice.text_content() or "")
        assert other.p_victory() == ui.p_victory()
    finally:
        other.page.close()


def test_a_lever_the_strategy_sets_shows_as_set(fast_ui: Page) -> None:
    ui = fast_ui
    before = ui.runs()
    ui.page.select_option("#strategy-select", "race")
    ui.wait_for_run(before)
    caution = ui.page.locator("#lever-leading-lab-caution")
    assert caution.is_disabled()
    assert caution.input_value() == "0"  # race's value, not the scenario's 0.4
    wrap = ui.page.locator(".control.set-by-strategy", has=caution)
    assert "race" in (wrap.text_content() or "") and "rule 1" in (wrap.text_content() or "")
    assert ui.page.locator("#lever-leading-lab-lookahead").is_enabled()  # race leaves it alone
    ui.page.select_option("#strategy-select", "pause-then-enhanced-labor")
    ui.wait_for_run(before + 1)
    pause = ui.page.locator(
        ".control.set-by-strategy", has=ui.page.locator("#lever-global-global_pause")
    )
    text = pause.text_content() or ""
    assert "1 while not reached.enhanced_human_labor (rule 2)" in text
    assert ui.page.locator("#lever-global-global_pause").is_enabled()  # its value when not paused
    ui.page.select_option("#strategy-select", "default")
    ui.wait_for_run(before + 2)
    assert ui.page.locator(".control.set-by-strategy").count() == 0
    assert ui.page.input_value("#lever-leading-lab-caution") == "0.4"


def test_presets_set_the_problem_profile(fast_ui: Page) -> None:
    ui = fast_ui
    assert ui.page.input_value("#param-hardness") == "0.25 to 4"
    before = ui.runs()
    ui.page.click("#preset-p05")
    ui.wait_for_run(before)
    low = float(ui.page.input_value("#param-hardness"))
    sent = ui.page.evaluate("window.lastRequest")["scenario"]["nature"]
    assert sent["hardness"] == low == pytest.approx(0.25, rel=1e-3)
    ui.page.click("#preset-p95")
    ui.wait_for_run(before + 1)
    assert float(ui.page.input_value("#param-hardness")) == pytest.approx(4.0, rel=1e-3)
    assert float(ui.page.input_value("#param-eval_ease")) > 0.5  # beta(2, 3)'s 95th percentile
    ui.page.click("#preset-prior")
    ui.wait_for_run(before + 2)
    assert ui.page.input_value("#param-hardness") == "0.25 to 4"
    assert ui.page.locator("#diff-victory").text_content() == ""  # back to the baseline


def test_definitions_appear_on_hover_and_a_control_explains_itself(fast_ui: Page) -> None:
    ui = fast_ui
    defs = httpx.get(f"{ui.origin}/api/definitions", timeout=30).json()["definitions"]
    ui.page.hover(".card.victory")
    assert ui.page.get_attribute(".card.victory", "title") == defs["victory"]["text"]
    row = ui.page.locator("#waystations-table tbody tr").first
    row.hover()
    assert row.get_attribute("title") == defs[row.get_attribute("data-waystation") or ""]["text"]
    th = ui.page.locator("#waystations-table th[data-define=p_reached]")
    assert th.get_attribute("title") == defs["p_reached"]["text"]
    lever = ui.page.locator(".control", has=ui.page.locator("#lever-leading-lab-caution"))
    lever.hover()
    assert (lever.get_attribute("title") or "").startswith(defs["caution"]["text"])
    ui.page.focus("#param-hardness")
    panel = ui.page.locator("#explain")
    assert panel.is_visible()
    text = panel.text_content() or ""
    assert defs["hardness"]["meaning"] in text and "source" in text and "x baseline" in text
    # next to its control: the panel follows the control it explains
    after = "() => document.querySelector('#param-hardness').closest('.control').nextElementSibling"
    assert ui.page.evaluate(f"{after}.id") == "explain"


def test_an_edit_shows_its_baseline_and_the_paired_difference(fast_ui: Page) -> None:
    ui = fast_ui
    assert ui.page.text_content("#diff-victory") == ""
    baseline = ui.page.evaluate("window.lastRequest")["scenario"]
    before = ui.runs()
    ui.page.locator("#lever-leading-lab-ai_safety_share").fill("0.6")
    ui.wait_for_run(before)
    body = {**ui.page.evaluate("window.lastRequest"), "baseline": baseline}
    response = httpx.post(f"{ui.origin}/api/edited", json=body, timeout=TIMEOUT_MS / 1000)
    assert response.status_code == 200, response.text
    d = response.json()["differences"]["victory"]
    shown = ui.page.locator("#diff-victory")
    assert float(shown.get_attribute("data-value") or "nan") == d["estimate"]
    assert "edited − baseline" in (shown.text_content() or "")
    spans = d["low"] <= 0 <= d["high"]
    assert ("unclear" in (shown.get_attribute("class") or "")) == spans
    assert ("spans zero" in (ui.page.text_content("#precision") or "")) == any(
        x["low"] <= 0 <= x["high"] for x in response.json()["differences"].values()
    )


def subplots(ui: Page, chart: str) -> int:
    """The panels plotly drew in ``chart``."""
    return ui.page.locator(f"{chart} .cartesianlayer .subplot").count()


def test_the_page_draws_the_reports_panels_and_marks(fast_ui: Page) -> None:
    """The specs the report draws: a panel and a strip per actor, a panel per outcome with end
    values, date ticks labelled once, hatched regions; the actor filter keeps one actor's
    panels; a mark kind the page does not know is skipped."""
    ui = fast_ui
    figures = ui.page.evaluate("window.lastFigures")
    diagram, over = figures["diagram"], figures["over_time"]
    actors = [p["id"] for p in diagram["panels"] if ": share" not in p["id"]]
    assert len(diagram["panels"]) == 2 * len(actors) == subplots(ui, "#diagram")
    text = ui.page.text_content("#diagram") or ""
    assert all(a in text for a in actors) and "C_aar" in text
    assert ui.page.locator("#diagram defs pattern").count() >= 1  # beyond the safety range
    assert subplots(ui, "#over-time") == 3
    text = ui.page.text_content("#over-time") or ""
    assert "P(neither yet)" in text
    for m in over["marks"]:
        assert f"{m['y'][-1]:.2f}" in text  # the value at the horizon, at each line's end
    ui.page.select_option("#diagram-actor", actors[1])
    assert subplots(ui, "#diagram") == 2
    assert actors[0] not in (ui.page.text_content("#diagram") or "")
    ui.page.select_option("#diagram-actor", "")
    assert subplots(ui, "#diagram") == 2 * len(actors)
    drawn = ui.page.evaluate(
        """a => {
          const s = structuredClone(window.lastFigures.diagram);
          s.marks = s.marks.filter((m) => m.kind !== "ticks");
          for (const actor of a) s.marks.push({ kind: "ticks", at: [2027, 2028.5],
            labels: ["alpha", "beta"], colour: "#CC79A7", group: actor, panel: actor });
          s.marks.push({ kind: "sparkles", panel: a[0] });
          drawSpec("diagram", s);
          return document.querySelector("#diagram").textContent;
        }""",
        actors,
    )
    assert drawn.count("alpha") == 1 and drawn.count("beta") == 1  # labelled in one panel
    assert subplots(ui, "#diagram") == 2 * len(actors)


# --- progressive answers, controls, narrow screens, presets (issue 25) -----------------------

#: Past the server's preview size (2,048 worlds), so an edit is answered in two stages.
STAGED = 3_072
#: A generous limit for a loaded CI machine: the order of events is what is asserted.
PATIENCE_MS = 120_000


def events_since(ui: Page, k: int) -> list[dict[str, Any]]:
    return list(ui.page.evaluate("k => window.runEvents.slice(k)", k))


def test_a_slider_move_shows_a_first_estimate_then_the_full_answer(
    browser: Any, server: str
) -> None:
    """On the default scenario: edit, then a preliminary estimate on the first worlds, then all.

    Real timings (20,000 worlds) are measured by benchmarks/web_page.py; here the
    order of events and the marking of the first estimate are under test.
    """
    with opened(browser, server, f"{server}/?worlds={STAGED}&seed=3") as ui:
        k = len(events_since(ui, 0))
        before = ui.runs()
        ui.page.focus("#lever-leading-lab-ai_safety_share")
        ui.page.keyboard.press("ArrowRight")
        ui.page.wait_for_function(
            "k => window.runEvents.slice(k).some(e => e.stage === 'preliminary')",
            arg=k, timeout=PATIENCE_MS,
        )  # fmt: skip
        assert ui.page.is_visible("#stage") and "preliminary" in (
            ui.page.text_content("#stage") or ""
        )
        ui.page.wait_for_function(
            "n => window.runCount > n && document.body.dataset.state === 'idle'",
            arg=before, timeout=PATIENCE_MS,
        )  # fmt: skip
        seen = events_since(ui, k)
        stages = [e["stage"] for e in seen]
        edit, first, full = (stages.index(s) for s in ("edit", "preliminary", "final"))
        assert edit < first < full
        assert seen[first]["worlds"] == 2_048 and seen[full]["worlds"] == STAGED
        assert seen[edit]["t"] <= seen[first]["t"] <= seen[full]["t"]
        assert seen[first]["marked"] and not seen[full]["marked"]  # "preliminary" shown, then not
        if "preliminary-charts" in stages:  # the first estimate's charts follow its numbers
            assert first < stages.index("preliminary-charts")
        # ... and never over the full answer's: the charts say the full count
        assert f"{STAGED:,} worlds" in (ui.page.text_content("#diagram-caption") or "")
        assert seen[full]["t"] - seen[edit]["t"] < PATIENCE_MS
        assert not ui.page.is_visible("#stage")  # the full answer is no longer marked
        assert ui.page.evaluate("document.body.dataset.stage") == "final"
        # the diagram carries the thresholds and the outcomes-over-time chart is drawn
        assert ui.page.get_attribute("#diagram", "data-spec") == "diagram"
        assert "C_aar" in (ui.page.text_content("#diagram") or "")
        assert ui.page.locator("#over-time .main-svg").count() >= 1


@pytest.mark.slow
def test_value_the_levers_answers_at_twenty_thousand_worlds(fast_ui: Page) -> None:
    ui = fast_ui
    ui.page.fill("#worlds", "20000")
    ui.page.click("#levers-run")
    table = ui.page.locator("#levers-table")
    ui.page.wait_for_function(
        "() => document.querySelector('#levers-table').dataset.stage === 'preliminary'",
        timeout=PATIENCE_MS,
    )
    assert table.get_attribute("data-worlds") == "2048"
    ui.page.wait_for_function(
        "() => document.querySelector('#levers-table').dataset.stage === 'final'",
        timeout=PATIENCE_MS,
    )
    assert table.get_attribute("data-worlds") == "20000"
    answer = ui.page.evaluate("window.lastLevers")  # the API's answer, as the page got it
    assert answer["worlds"] == 20_000 and answer["cache"]["served_worlds"] > 0
    assert answer["plan"]["requested_worlds"] == 20_000 == answer["plan"]["forward_worlds"]
    assert answer["method"] == "forward"
    assert {"shape", "sign_disagreement"} <= set(answer["levers"][0])
    assert ui.page.locator("#levers-table tbody tr").count() == len(answer["levers"])
    for chart in ("#lever-tornado", "#lever-curves"):
        assert ui.page.locator(f"{chart} .main-svg").count() >= 1
    curves = [r for r in answer["levers"] if r.get("curve")]
    assert subplots(ui, "#lever-curves") == len(curves)  # a panel per lever, as in the report
    text = ui.page.text_content("#lever-curves") or ""
    assert all(r["curve"]["shape"]["words"] in text for r in curves)


def test_a_click_on_a_sliders_track_explains_it_instead_of_moving_it(fast_ui: Page) -> None:
    ui = fast_ui
    slider = ui.page.locator("#lever-global-spillover")
    value = slider.input_value()
    box = slider.bounding_box()
    assert box is not None
    ui.page.mouse.click(box["x"] + box["width"] - 3, box["y"] + box["height"] / 2)  # far end
    assert slider.input_value() == value
    panel = ui.page.locator("#explain")
    assert panel.is_visible() and "spillover" in (panel.text_content() or "")
    for word in ("definition", "unit", "bounds", "source", "status"):
        assert word in (panel.text_content() or "")
    ui.page.keyboard.press("ArrowRight")  # the slider has focus: keys move it
    assert float(slider.input_value()) > float(value)
    # the info mark of a parameter explains it too, and says when its value is illustrative
    ui.page.click(".control[data-name=hardness] button.info")
    text = panel.text_content() or ""
    assert "hardness" in text and "illustrative" in text
    ui.page.keyboard.press("Tab")  # every control is reachable by keyboard
    assert ui.page.evaluate("document.activeElement.id") == "param-hardness"


def test_the_page_fits_360_and_1280_pixels_without_horizontal_scrolling(
    fast_ui: Page, tmp_path: Path
) -> None:
    ui = fast_ui
    for width in (360, 1280):
        ui.page.set_viewport_size({"width": width, "height": 900})
        ui.page.wait_for_timeout(300)  # plotly's responsive redraw
        if width == 360:  # a chart first drawn on a narrow screen must fit it too
            ui.page.click("#compare-run")
            ui.page.wait_for_function(
                "() => document.querySelector('#compare-over-time .main-svg') && "
                "document.body.dataset.state === 'idle'"
            )
        wide = ui.page.evaluate("document.documentElement.scrollWidth")
        assert wide <= width, f"{width} px: the page is {wide} px wide"
        ui.page.screenshot(path=str(tmp_path / f"explorer-{width}.png"), full_page=True)
        assert (tmp_path / f"explorer-{width}.png").stat().st_size > 10_000


def test_a_preset_opens_from_the_top_of_the_page_with_its_sources(fast_ui: Page) -> None:
    ui = fast_ui
    before = ui.runs()
    ui.page.select_option("#preset-select", "preset:optimistic-worlds")
    ui.wait_for_run(before)
    assert ui.page.evaluate("window.lastRequest")["scenario"]["name"] == "optimistic-worlds"
    assert "Sources:" in (ui.page.text_content("#preset-sources") or "")
    link = copied_link(ui)
    data = ui.page.evaluate("h => window.waystationLink.decode(h)", link.split("#", 1)[1])
    assert data["b"] == "preset:optimistic-worlds"
    assert "--preset optimistic-worlds" in ui.page.evaluate("window.lastProvenance.command")
