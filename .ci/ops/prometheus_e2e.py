#!/usr/bin/env python3
"""A real Prometheus (Debian's package) scraping a real `thermaliq`.

Starts the binary on a throw-away SQLite store and a Prometheus that scrapes it
every second with monitoring/prometheus/thermaliq.rules.yml loaded, drives
traffic with known numbers of errors, then asks Prometheus's HTTP API the
runbook's queries exactly as the runbook writes them, and each alert's
expression from the rules file, and checks the answers against the traffic it
sent (not against the server's own arithmetic).

    python3 .ci/ops/prometheus_e2e.py target/debug/thermaliq

Exits non-zero on any failure. Takes about 30 s.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RULES = os.path.join(ROOT, "monitoring/prometheus/thermaliq.rules.yml")
DASHBOARD = os.path.join(ROOT, "monitoring/grafana/thermaliq-dashboard.json")
TOKEN = "prometheus-e2e-bootstrap-token-0123456789abcdef"

# The traffic, and so the expected answers.
GOOD = 20  # 201
INVALID = 10  # 400 ValidationError
STRICT = 5  # 422 CalculationError (efficiency 150 %)
READS = 12  # GETs of one stored calculation: 1 miss, then hits

failures = []


def check(name, ok, detail=""):
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else f": {detail}"))
    if not ok:
        failures.append(name)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def http(method, url, body=None, token=TOKEN):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def wait_for(url, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return True
        except Exception:
            time.sleep(0.2)
    return False


def query(prom, promql):
    url = f"{prom}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    with urllib.request.urlopen(url, timeout=10) as r:
        answer = json.load(r)
    assert answer["status"] == "success", answer
    return answer["data"]["result"]


def values(result):
    return [float(s["value"][1]) for s in result]


def case(facility="FAC-E2E", steam=750.0):
    return {
        "facility_id": facility,
        "time_period": {"start": "2025-11-01T00:00:00Z", "end": "2025-11-01T01:00:00Z"},
        "energy_input": {"fuel": 1000.0, "electricity": 50.0},
        "energy_output": {"steam": steam, "electricity": 200.0},
    }


def main():
    binary = os.path.abspath(sys.argv[1])
    prometheus = shutil.which("prometheus")
    if not prometheus:
        print("prometheus is not installed (apt-get install prometheus)")
        return 1
    work = tempfile.mkdtemp(prefix="thermaliq-prom-")
    procs = []
    try:
        port, prom_port = free_port(), free_port()
        base, prom = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{prom_port}"
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": work,
            "THERMALIQ_BIND": f"127.0.0.1:{port}",
            "THERMALIQ_DATA_DIR": work,
            "THERMALIQ_BOOTSTRAP_TOKEN": TOKEN,
        }
        server_log = open(os.path.join(work, "server.log"), "w")
        procs.append(subprocess.Popen([binary, "serve"], env=env, stdout=server_log, stderr=subprocess.STDOUT))
        if not wait_for(f"{base}/health"):
            print(open(os.path.join(work, "server.log")).read())
            check("thermaliq starts", False, "no /health")
            return 1
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [RULES],
            "scrape_configs": [{
                "job_name": "thermaliq",  # the Service name, as the ServiceMonitor makes it
                "metrics_path": "/metrics",
                "static_configs": [{"targets": [f"127.0.0.1:{port}"]}],
            }],
        }
        with open(os.path.join(work, "prometheus.yml"), "w") as f:
            yaml.safe_dump(config, f)
        prom_log = open(os.path.join(work, "prometheus.log"), "w")
        procs.append(subprocess.Popen(
            [prometheus, f"--config.file={work}/prometheus.yml", f"--storage.tsdb.path={work}/tsdb",
             f"--web.listen-address=127.0.0.1:{prom_port}"],
            stdout=prom_log, stderr=subprocess.STDOUT))
        if not wait_for(f"{prom}/-/ready", 60):
            print(open(os.path.join(work, "prometheus.log")).read())
            check("prometheus starts", False, "not ready")
            return 1
        # Two scrapes of the idle replica first: every counter is seen at 0,
        # so rate() counts the whole traffic below.
        deadline = time.time() + 30
        while time.time() < deadline and len(query(prom, 'thermaliq_calculation_requests_total[1m]')[:1]) == 0:
            time.sleep(0.5)
        time.sleep(2.5)
        fresh = query(prom, "thermaliq_calculation_data_completeness")
        check("completeness is absent on a fresh replica (no false SEV1)", fresh == [], fresh)
        fresh_errors = query(prom, 'thermaliq_calculation_errors_by_type_total{error_type="DatabaseError"}')
        check("errors by type are initialised at 0", values(fresh_errors) == [0.0], fresh_errors)

        # Traffic with known errors.
        first_id = None
        for i in range(GOOD):
            status, body = http("POST", f"{base}/v1/thermaliq/calculate", case())
            if status != 201:
                check(f"good calculation {i} is 201", False, body)
            first_id = first_id or json.loads(body)["calculation_id"]
        for _ in range(INVALID):
            bad = case()
            del bad["energy_output"]
            status, body = http("POST", f"{base}/v1/thermaliq/calculate", bad)
            if status != 400:
                check("invalid calculation is 400", False, body)
        for _ in range(STRICT):
            status, body = http("POST", f"{base}/v1/thermaliq/calculate", case(steam=1325.0))
            if status != 422:
                check("strict failure is 422", False, body)
        for _ in range(READS):
            http("GET", f"{base}/v1/thermaliq/calculations/{first_id}")
        status, _ = http("GET", f"{base}/v1/thermaliq/calculations/{first_id}/sankey?kind=exergy")
        check("an exergy diagram of an inline calculation is refused (422)", status == 422, status)
        time.sleep(3)  # three more scrapes

        # Independent tallies from the traffic itself.
        requests, errors = GOOD + INVALID + STRICT, INVALID + STRICT
        want_ratio = errors / requests

        # The runbook's queries, exactly as written.
        ratio = query(prom, "rate(thermaliq_calculation_errors_total[5m]) / rate(thermaliq_calculation_requests_total[5m])")
        check("Scenario 5 error ratio returns one series", len(ratio) == 1, ratio)
        check(f"Scenario 5 error ratio is {errors}/{requests}",
              len(ratio) == 1 and abs(values(ratio)[0] - want_ratio) < 1e-9, ratio)
        by_type = {s["metric"]["error_type"]: float(s["value"][1])
                   for s in query(prom, "thermaliq_calculation_errors_by_type_total")}
        check("errors by type match the traffic",
              by_type.get("ValidationError") == INVALID and by_type.get("CalculationError") == STRICT
              and by_type.get("DatabaseError") == 0.0, by_type)
        p95 = query(prom, "histogram_quantile(0.95, thermaliq_calculation_duration_seconds_bucket)")
        check("Phase 5 p95 latency is a number under the 10 s target",
              len(p95) == 1 and 0 < values(p95)[0] < 10, p95)
        hit_rate = query(prom, "thermaliq_cache_hits_total / (thermaliq_cache_hits_total + thermaliq_cache_misses_total)")
        status, stats = http("GET", f"{base}/v1/thermaliq/admin/cache/stats")
        stats = json.loads(stats)
        # The GETs: the first one missed, the rest hit (a 201 does not fill the
        # cache); the diagram request was one more miss.
        want_hits = (READS - 1) / (READS + 1)
        check(f"Scenario 6 cache hit rate is {READS - 1} hits of {READS + 1} look-ups",
              len(hit_rate) == 1 and abs(values(hit_rate)[0] - want_hits) < 1e-9, (hit_rate, stats))
        completeness = query(prom, "thermaliq_calculation_data_completeness")
        check("completeness is per facility once measured",
              [(s["metric"].get("facility_id"), float(s["value"][1])) for s in completeness] == [("FAC-E2E", 1.0)],
              completeness)
        check("Scenario 3 completeness < 0.95 is empty",
              query(prom, "thermaliq_calculation_data_completeness < 0.95") == [])
        check("Scenario 9 quality < 90 is empty",
              query(prom, "thermaliq_calculation_data_quality_score < 90") == [])
        pool = query(prom, "thermaliq_database_connections_active / thermaliq_database_pool_size")
        check("Phase 5 pool utilisation computes (identical label sets)",
              len(pool) == 1 and 0 <= values(pool)[0] <= 1, pool)
        sankey = query(prom, "rate(thermaliq_sankey_generation_errors_total[5m]) > 0")
        check("Scenario 10 Sankey error rate > 0 names the type",
              [s["metric"].get("error_type") for s in sankey] == ["invalid_flows"], sankey)

        # Every alert expression of the rules file: which are true now.
        expected_true = {"ThermalIQCalculationErrorRatioHigh", "ThermalIQSankeyGenerationErrors"}
        # Series only a cluster has (kube-state-metrics, cAdvisor, meters, historian).
        not_here = ("kube_", "container_", "energy_meter", "historian")
        rules = yaml.safe_load(open(RULES, encoding="utf-8"))
        for group in rules["groups"]:
            for rule in group["rules"]:
                name, expr = rule.get("alert"), rule["expr"]
                if not name or any(k in expr for k in not_here):
                    continue
                result = query(prom, expr)
                want = name in expected_true
                check(f"alert expression {name} is {'true' if want else 'silent'}",
                      bool(result) == want, result)
        # Every dashboard panel query over series a replica exposes has data.
        def exprs(node):
            if isinstance(node, dict):
                for k, v in node.items():
                    if k == "expr" and isinstance(v, str):
                        yield v
                    else:
                        yield from exprs(v)
            elif isinstance(node, list):
                for v in node:
                    yield from exprs(v)
        dashboard = json.load(open(DASHBOARD, encoding="utf-8"))
        for expr in sorted(set(exprs(dashboard))):
            if any(k in expr for k in not_here) or "$" in expr.replace("$__rate_interval", ""):
                continue
            result = query(prom, expr.replace("$__rate_interval", "1m"))
            check(f"dashboard query has data: {expr[:70]}", bool(result), result)
        # Prometheus itself evaluates the rules: the error-ratio alerts are
        # pending (their `for:` has not passed yet), the critical one is not.
        alerts = json.load(urllib.request.urlopen(f"{prom}/api/v1/alerts", timeout=10))["data"]["alerts"]
        states = {a["labels"]["alertname"]: a["state"] for a in alerts}
        check("ThermalIQCalculationErrorRatioHigh is pending or firing in Prometheus",
              states.get("ThermalIQCalculationErrorRatioHigh") in ("pending", "firing"), states)
        check("ThermalIQCalculationErrorRatioCritical is not active",
              "ThermalIQCalculationErrorRatioCritical" not in states, states)
        check("ThermalIQDown is not active (the scrape works)", "ThermalIQDown" not in states, states)
    finally:
        for p in reversed(procs):
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(work, ignore_errors=True)
    print(f"prometheus_e2e: {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
