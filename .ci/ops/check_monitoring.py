#!/usr/bin/env python3
"""Checks monitoring/ beyond what promtool does (called by .ci/ops-checks).

    check_monitoring.py PROMTOOL

  - every alert has the labels and annotations the runbook needs (severity SEV1..SEV4,
    a `runbook` annotation naming a section, a summary);
  - every alert has a unit test in which it fires and one in which it stays silent;
  - the Grafana dashboard parses, has the runbook's panels, and every query in it is
    valid PromQL (promtool check rules on the queries wrapped as recording rules).
Exit 1 when any check fails.
"""
import json
import pathlib
import re
import subprocess
import sys
import tempfile

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
RULES = ROOT / "monitoring/prometheus/thermaliq.rules.yml"
TESTS = ROOT / "monitoring/tests/thermaliq.rules.test.yml"
DASHBOARD = ROOT / "monitoring/grafana/thermaliq-dashboard.json"

# The panels the runbook reads (issue 16 lists them), matched against panel titles.
REQUIRED_PANELS = ["error ratio", "latency", "cache hit rate", "active calculations",
                   "queue depth", "data completeness", "energy meter status",
                   "historian status", "sankey errors"]
RUNBOOK_SECTION = re.compile(r"^(Scenario (10|[1-9]): \S.*|Phase [1-7]: \S.*)$")

results = []


def check(name):
    def wrap(fn):
        try:
            fn()
            results.append((name, None))
        except AssertionError as e:
            results.append((name, str(e) or "assertion failed"))
        except Exception as e:
            results.append((name, f"{type(e).__name__}: {e}"))
        return fn
    return wrap


def main():
    promtool = sys.argv[1]
    rules = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    alerts = [r for g in rules["groups"] for r in g["rules"] if "alert" in r]
    tests = yaml.safe_load(TESTS.read_text(encoding="utf-8"))

    @check("alert names are unique")
    def _():
        names = [a["alert"] for a in alerts]
        dup = sorted({n for n in names if names.count(n) > 1})
        assert not dup, f"duplicates: {dup}"

    fired, silent = set(), set()
    for t in tests["tests"]:
        for a in t.get("alert_rule_test", []):
            (fired if a.get("exp_alerts") else silent).add(a["alertname"])

    for a in alerts:
        name = a["alert"]

        @check(f"{name}: severity, summary and runbook section")
        def _(a=a):
            assert a.get("labels", {}).get("severity") in {"SEV1", "SEV2", "SEV3", "SEV4"}, \
                f"severity {a.get('labels', {}).get('severity')!r}"
            ann = a.get("annotations", {})
            assert ann.get("summary"), "no summary"
            assert RUNBOOK_SECTION.match(ann.get("runbook", "")), f"runbook {ann.get('runbook')!r}"

        @check(f"{name}: a test where it fires and one where it stays silent")
        def _(name=name):
            missing = [w for w, s in (("firing", fired), ("silent", silent)) if name not in s]
            assert not missing, f"no {' and no '.join(missing)} test"

    @check("tests name only alerts that exist")
    def _():
        unknown = sorted((fired | silent) - {a["alert"] for a in alerts})
        assert not unknown, f"unknown alerts in tests: {unknown}"

    dash = {}

    @check("Grafana dashboard is valid JSON with a uid, a title and a Prometheus datasource variable")
    def _():
        d = json.loads(DASHBOARD.read_text(encoding="utf-8"))
        assert d.get("uid") and d.get("title")
        assert any(v.get("type") == "datasource" and v.get("query") == "prometheus"
                   for v in d.get("templating", {}).get("list", []))
        dash["d"] = d

    panels = [p for p in dash.get("d", {}).get("panels", []) if p.get("type") != "row"]

    @check("dashboard has the runbook's panels")
    def _():
        titles = [p.get("title", "").lower() for p in panels]
        missing = [r for r in REQUIRED_PANELS if not any(r in t for t in titles)]
        assert not missing, f"missing panels: {missing}"

    @check("dashboard panel ids are unique and every panel has a query")
    def _():
        ids = [p["id"] for p in dash.get("d", {}).get("panels", [])]
        assert len(ids) == len(set(ids)), "duplicate panel ids"
        empty = [p.get("title") for p in panels if not p.get("targets")]
        assert not empty, f"panels without queries: {empty}"

    @check("every dashboard query is valid PromQL (promtool)")
    def _():
        exprs = [(p["title"], t["expr"]) for p in panels for t in p.get("targets", [])]
        assert exprs, "no queries"
        group = {"groups": [{"name": "dashboard", "rules": [
            {"record": f"dashboard:query_{i}",
             "expr": e.replace("$__rate_interval", "5m").replace("$__interval", "1m")}
            for i, (_, e) in enumerate(exprs)]}]}
        with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
            yaml.safe_dump(group, f)
        run = subprocess.run([promtool, "check", "rules", f.name], capture_output=True, text=True)
        pathlib.Path(f.name).unlink()
        assert run.returncode == 0, (run.stdout + run.stderr).strip()

    failed = 0
    for name, err in results:
        if err is None:
            print(f"ok   {name}")
        else:
            failed += 1
            print(f"FAIL {name}: {err}")
    print(f"monitoring: {len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
