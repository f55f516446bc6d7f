#!/usr/bin/env python3
"""End-to-end test of the dashboard in headless Chromium (Playwright for
Python driving Debian's /usr/bin/chromium; no browser is downloaded).

Starts `thermaliq serve` on a fresh SQLite data directory with a bootstrap
token, seeds data through the API (a facility with hourly readings, three
daily calculations from those readings, an inline calculation and a boiler
process calculation), then signs in and opens every page, asserting on what
is shown. Fails on any console error or page error (except the browser's own
"Failed to load resource" line for the error answers the test provokes or the
analytics endpoints this server may not have), and on any request to a host
other than the server.

    python3 tools/e2e/dashboard_test.py --bin target/debug/thermaliq [--screenshots docs/img]

Expected numbers come from the seeded data, computed here: 850 kWh of steam
from 1000 kWh of fuel each hour is 85.00 %; the runbook's inline case
(750 + 200) / (1000 + 50) is 90.48 %.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

from playwright.sync_api import expect, sync_playwright

TOKEN = "e2e-admin-token-0123456789abcdef0123456789"
FAC = "FAC-E2E-001"
FAC2 = "FAC-E2E-002"
TIMEOUT_MS = 15_000


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Api:
    def __init__(self, base):
        self.base = base

    def call(self, method, path, body=None, content_type="application/json", ok=(200, 201)):
        data = None
        if body is not None:
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        req = urllib.request.Request(self.base + "/v1/thermaliq" + path, data=data, method=method)
        req.add_header("Authorization", f"Bearer {TOKEN}")
        if data is not None:
            req.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                status, raw = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, raw = e.code, e.read()
        if status not in ok:
            raise AssertionError(f"{method} {path}: {status} {raw[:500]!r}")
        ctype = ""
        return json.loads(raw) if raw[:1] in (b"{", b"[") else raw


def seed(api):
    api.call("POST", "/facilities", {
        "facility_id": FAC, "name": "Boiler house E2E", "process_type": "boiler",
        "time_zone": "UTC",
        "channels": [
            {"tag": "gas_energy", "role": "input", "category": "fuel", "kind": "interval_energy",
             "unit": "kWh", "interval_minutes": 60, "stamping": "interval_end"},
            {"tag": "steam_energy", "role": "output", "category": "steam", "kind": "interval_energy",
             "unit": "kWh", "interval_minutes": 60, "stamping": "interval_end"},
        ]})
    rows = ["tag,timestamp,value"]
    for d in range(1, 4):
        for hour in range(1, 25):
            ts = f"2025-11-0{d}T{hour:02d}:00:00Z" if hour < 24 else f"2025-11-0{d + 1}T00:00:00Z"
            rows.append(f"gas_energy,{ts},1000")
            rows.append(f"steam_energy,{ts},850")
    api.call("POST", f"/facilities/{FAC}/readings", "\n".join(rows) + "\n", "text/csv")
    from_readings = []
    for d in range(1, 4):
        r = api.call("POST", "/calculate", {
            "facility_id": FAC,
            "time_period": {"start": f"2025-11-0{d}T00:00:00Z", "end": f"2025-11-0{d + 1}T00:00:00Z"}})
        from_readings.append(r)
    inline = api.call("POST", "/calculate", {
        "facility_id": FAC,
        "time_period": {"start": "2025-11-05T00:00:00Z", "end": "2025-11-05T01:00:00Z"},
        "energy_input": {"fuel": 1000.0, "electricity": 50.0},
        "energy_output": {"steam": 750.0, "electricity": 200.0}})
    boiler = api.call("POST", "/calculate", {
        "facility_id": FAC,
        "time_period": {"start": "2025-11-06T00:00:00Z", "end": "2025-11-06T01:00:00Z"},
        "process": {"type": "boiler",
                    "fuel": {"name": "natural_gas", "mass_flow_kg_h": 800},
                    "steam": {"mass_flow_kg_h": 10864, "pressure_mpa": 5.5766, "quality": 1.0},
                    "feedwater": {"pressure_mpa": 0.3631, "saturated": "liquid"},
                    "blowdown_pct": 3.7,
                    "flue_gas": {"temperature_c": 180, "o2_pct_dry": 3.0},
                    "combustion_air_temperature_c": 25,
                    "surfaces": [{"area_m2": 50, "temperature_c": 60, "emissivity": 0.9,
                                  "orientation": "vertical"}]}})
    api.call("POST", "/facilities", {
        "facility_id": FAC2, "name": "Furnace hall", "process_type": "furnace", "time_zone": "UTC",
        "channels": [
            {"tag": "oil_energy", "role": "input", "category": "fuel", "kind": "interval_energy",
             "unit": "kWh", "interval_minutes": 60, "stamping": "interval_end"},
            {"tag": "heat_out", "role": "output", "category": "heat", "kind": "interval_energy",
             "unit": "kWh", "interval_minutes": 60, "stamping": "interval_end"},
        ]})
    for day, out in (("01", 770.0), ("02", 780.0)):
        api.call("POST", "/calculate", {
            "facility_id": FAC2,
            "time_period": {"start": f"2025-11-{day}T00:00:00Z", "end": f"2025-11-{day}T01:00:00Z"},
            "energy_input": {"fuel": 1000.0}, "energy_output": {"heat": out}})
    return from_readings, inline, boiler


def sankey_labels(api, calc_id, kind):
    """Node labels of the server's own diagram (its JSON form)."""
    doc = api.call("GET", f"/calculations/{calc_id}/sankey?format=json&kind={kind}")
    return [n["label"] for n in doc["nodes"]]


# Error answers the test provokes or may meet; the browser logs each as a
# console error "Failed to load resource", which is expected for these only:
# the wrong token at sign-in, the bad form values, and the analytics endpoints
# a server may not have (404) or a baseline that does not exist.
def expected_failure(url):
    path = urllib.parse.urlparse(url).path
    return (path in ("/v1/thermaliq/calculate", "/v1/thermaliq/calculations")
            or path.endswith(("/efficiency", "/benchmark", "/performance")))


CONTRAST_JS = """() => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
    .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  const bg = (el) => { for (let e = el; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor); if (c.length === 3 || c[3] > 0) return c.slice(0, 3); } return [255, 255, 255]; };
  const low = [];
  for (const el of document.querySelectorAll('.badge, button, a, h1, h2, td, th, label, p, dt, dd, legend')) {
    if (!el.offsetParent || !el.textContent.trim()) continue;
    const a = lum(rgb(getComputedStyle(el).color).slice(0, 3)), b = lum(bg(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) low.push(`${el.tagName}.${el.className}: ${ratio.toFixed(2)} "${el.textContent.trim().slice(0, 30)}"`);
  }
  return low.slice(0, 10);
}"""


def run(base, api, shots, data):
    from_readings, inline, boiler = data
    problems = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)

        def on_console(msg):
            if msg.type != "error":
                return
            url = (msg.location or {}).get("url", "")
            if msg.text.startswith("Failed to load resource") and expected_failure(url):
                return
            problems.append(f"console error: {msg.text} ({url})")

        page.on("console", on_console)
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))

        def on_route(route):
            url = route.request.url
            if url.startswith(base + "/") or url == base or url.startswith("blob:") or url.startswith("data:"):
                route.continue_()
            else:
                problems.append(f"request to another host: {url}")
                route.abort()

        context.route("**/*", on_route)

        def shot(name):
            if shots:
                page.wait_for_timeout(300)
                page.screenshot(path=os.path.join(shots, f"{name}.png"), full_page=True)

        def labelled_inputs():
            missing = page.evaluate("""() => [...document.querySelectorAll('input, select, textarea')]
                .filter(e => e.type !== 'hidden' && e.labels.length === 0 && !e.getAttribute('aria-label')
                             && !e.closest('label'))
                .map(e => e.id || e.name || e.outerHTML)""")
            assert not missing, f"inputs without a label: {missing}"

        # Sign-in
        page.goto(base + "/")
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        labelled_inputs()
        shot("signin")
        page.get_by_label("API token").fill("not-a-valid-token-0123456789")
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator("#signin-error")).to_contain_text("not valid")
        page.get_by_label("API token").fill(TOKEN)
        page.keyboard.press("Enter")  # keyboard submits the form

        # Facilities
        expect(page.locator("#facilities")).to_be_visible()
        row = page.locator(f'tr[data-facility="{FAC}"]')
        expect(row.locator("td.eff")).to_have_text(f"{boiler['efficiency']:.2f}")
        expect(row).to_contain_text("gas_energy")
        expect(row).to_contain_text("live")
        expect(row.locator("svg.spark")).to_have_count(1)
        # 780 / 1000 of the second facility's latest calculation
        expect(page.locator(f'tr[data-facility="{FAC2}"] td.eff')).to_have_text("78.00")
        page.get_by_label("Filter").fill("no-such-facility")
        expect(page.locator("#facilities tbody tr")).to_have_count(0)
        page.get_by_label("Filter").fill("furnace")
        expect(page.locator("#facilities tbody tr")).to_have_count(1)
        expect(page.locator("#facilities tbody tr")).to_have_attribute("data-facility", FAC2)
        page.get_by_label("Filter").fill("")
        page.get_by_role("button", name="Latest efficiency (%)").click()
        expect(page.locator("th[aria-sort=ascending]")).to_have_count(1)
        expect(page.locator("#facilities tbody tr").first).to_have_attribute("data-facility", FAC)
        page.get_by_role("button", name="Latest efficiency (%)").click()
        expect(page.locator("th[aria-sort=descending]")).to_have_count(1)
        expect(page.locator("#facilities tbody tr").first).to_have_attribute("data-facility", FAC2)
        labelled_inputs()
        shot("facilities")

        # Keyboard: Tab from the brand reaches the navigation, Enter follows
        # it; Tab from the filter reaches the first sort button.
        page.locator("a.brand").focus()
        page.keyboard.press("Tab")
        focused = page.evaluate("() => document.activeElement.textContent")
        assert focused == "Facilities", f"Tab focuses {focused!r}, expected the Facilities link"
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        expect(page.locator("#form-inline")).to_be_visible()
        page.go_back()
        page.get_by_label("Filter").focus()
        page.keyboard.press("Tab")
        focused = page.evaluate("() => document.activeElement.dataset.key")
        assert focused == "id", f"Tab from the filter focuses {focused!r}, expected the first sort button"

        # Facility (opened by its URL)
        page.goto(f"{base}/#/facilities/{FAC}")
        expect(page.locator("#subject-id")).to_have_text(FAC)
        expect(page.get_by_role("heading", name="Boiler house E2E")).to_be_visible()
        expect(page.locator("#calculations tbody tr")).to_have_count(5)
        expect(page.locator("svg[aria-label^='Efficiency of']")).to_have_count(1)
        heat = page.locator("svg[aria-label='Readings coverage per channel and day']")
        expect(heat).to_contain_text("steam_energy")
        expect(heat).to_contain_text("11-01")
        for sec in ("Efficiency trend", "Baseline (ISO 50006) and CUSUM", "Benchmark", "Coverage"):
            expect(page.get_by_role("heading", name=sec)).to_be_visible()
        page.get_by_label("Baseline name").fill("no-such-baseline")
        page.get_by_role("button", name="Show CUSUM").click()
        expect(page.locator("#baseline-result")).to_contain_text("not available")
        shot("facility")

        # Calculation from readings: 85.00 %, data quality from channels
        rid = from_readings[0]["calculation_id"]
        page.goto(f"{base}/#/calculations/{rid}")
        expect(page.locator("#efficiency")).to_have_text("85.00 %")
        expect(page.locator("#subject-id")).to_have_text(rid)

        # Inline calculation: 90.48 %, losses, Sankey node names, Verify
        iid = inline["calculation_id"]
        page.goto(f"{base}/#/calculations/{iid}")
        expect(page.locator("#efficiency")).to_have_text("90.48 %")
        expect(page.locator("#losses")).to_contain_text("unmeasured")
        expect(page.locator("#input-hash")).to_have_text(inline["provenance"]["input_hash"])
        expect(page.locator("#sankey svg")).to_be_visible()
        for label in sankey_labels(api, iid, "energy"):
            expect(page.locator("#sankey svg")).to_contain_text(label)
        page.get_by_role("button", name="Verify").click()
        expect(page.locator("#verify-result")).to_contain_text("intact")
        # The report buttons fetch with the token and hand over a file.
        with page.expect_download() as dl:
            page.get_by_role("button", name="PDF report").click()
        with open(dl.value.path(), "rb") as f:
            assert f.read(5) == b"%PDF-", "the PDF report button did not give a PDF"
        with page.expect_download() as dl:
            page.get_by_role("button", name="HTML report").click()
        with open(dl.value.path(), encoding="utf-8") as f:
            assert inline["provenance"]["output_hash"] in f.read(), "the HTML report lacks the output hash"
        shot("calculation")

        # Boiler: both methods, exergy toggle
        bid = boiler["calculation_id"]
        page.goto(f"{base}/#/calculations/{bid}")
        expect(page.locator("#methods tbody tr")).to_have_count(2)
        expect(page.locator("#methods")).to_contain_text(f"{boiler['methods']['heat_loss']['efficiency_pct']:.2f}")
        expect(page.locator("#sankey svg")).to_be_visible()
        page.get_by_label("exergy").check()
        for label in sankey_labels(api, bid, "exergy"):
            expect(page.locator("#sankey svg")).to_contain_text(label)
        expect(page.locator("#opportunities table")).to_be_visible()
        labelled_inputs()
        shot("calculation-boiler")

        # New calculation: a bad value shows the API's error next to the field
        page.goto(f"{base}/#/new")
        form = page.locator("#form-inline")
        form.get_by_label("Fuel").fill("-5")
        form.get_by_role("button", name="Calculate").click()
        err = form.locator('[data-error-for="energy_input.fuel"]')
        expect(err).to_be_visible()
        expect(err).to_contain_text(">= 0")
        expect(form.get_by_label("Fuel")).to_have_attribute("aria-invalid", "true")
        boiler_form = page.locator("#form-boiler")
        boiler_form.get_by_label("Flue-gas O2 (% dry)").fill("25")
        boiler_form.get_by_role("button", name="Calculate").click()
        o2_err = boiler_form.locator('[data-error-for="process.flue_gas.o2_pct_dry"]')
        expect(o2_err).to_be_visible()
        expect(boiler_form.get_by_label("Flue-gas O2 (% dry)")).to_have_attribute("aria-invalid", "true")
        labelled_inputs()
        shot("new")
        boiler_form.get_by_label("Flue-gas O2 (% dry)").fill("3.0")
        form.get_by_label("Fuel").fill("1000")
        form.get_by_role("button", name="Calculate").click()
        expect(page.locator("#efficiency")).to_have_text("90.48 %")

        # Upload: two good rows, one bad
        page.goto(f"{base}/#/upload")
        page.get_by_label("Facility id").fill(FAC)
        csv = ("tag,timestamp,value\n"
               "gas_energy,2025-11-04T01:00:00Z,1000\n"
               "steam_energy,2025-11-04T01:00:00Z,850\n"
               "gas_energy,not-a-time,1000\n")
        page.locator("#upload-file").set_input_files(
            files=[{"name": "readings.csv", "mimeType": "text/csv", "buffer": csv.encode()}])
        page.get_by_role("button", name="Upload").click()
        expect(page.locator("#upload-summary")).to_contain_text("2 rows accepted")
        expect(page.locator("#row-errors tbody tr")).to_have_count(1)
        expect(page.locator("#row-errors")).to_contain_text("timestamp")
        expect(page.locator("#upload-progress")).to_have_attribute("value", "1")
        labelled_inputs()
        shot("upload")

        # Colour contrast of what is rendered (WCAG 2.1 relative luminance,
        # §1.4.3): text of every badge, button, link, heading and cell >= 4.5.
        low = page.evaluate(CONTRAST_JS)
        assert not low, f"text below 4.5:1 contrast: {low}"

        # A tablet (768 px): no page scrolls sideways.
        page.set_viewport_size({"width": 768, "height": 1024})
        for route in ("#/facilities", f"#/facilities/{FAC}", f"#/calculations/{bid}", "#/new", "#/upload"):
            page.goto(f"{base}/{route}")
            expect(page.locator("main h1")).to_be_visible()
            page.wait_for_timeout(300)
            over = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert over <= 1, f"{route} is {over} px wider than a 768 px tablet"
            low = page.evaluate(CONTRAST_JS)
            assert not low, f"{route}: text below 4.5:1 contrast: {low}"
        page.set_viewport_size({"width": 1280, "height": 900})

        # Sign out: the token is gone from the tab
        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        assert page.evaluate("() => sessionStorage.length") == 0

        browser.close()
    return problems


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/debug/thermaliq")
    ap.add_argument("--screenshots", default=None)
    args = ap.parse_args()
    if args.screenshots:
        os.makedirs(args.screenshots, exist_ok=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as data_dir:
        env = dict(os.environ, THERMALIQ_BOOTSTRAP_TOKEN=TOKEN)
        env.pop("DATABASE_URL", None)
        env.pop("REDIS_URL", None)
        log = open(os.path.join(data_dir, "server.log"), "w")
        server = subprocess.Popen([args.bin, "serve", "--bind", f"127.0.0.1:{port}", "--data-dir", data_dir],
                                  env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(base + "/health", timeout=1)
                    break
                except OSError:
                    time.sleep(0.1)
            else:
                raise SystemExit("server did not start")
            api = Api(base)
            data = seed(api)
            problems = run(base, api, args.screenshots, data)
        finally:
            server.terminate()
            server.wait(timeout=10)
            log.close()
    if problems:
        print("FAILED:\n  " + "\n  ".join(problems), file=sys.stderr)
        sys.exit(1)
    print("dashboard e2e: ok")


if __name__ == "__main__":
    main()
