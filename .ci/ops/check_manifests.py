#!/usr/bin/env python3
"""Checks the rendered deployment package (called by .ci/ops-checks).

    check_manifests.py APP.yaml SECRETS.yaml [--thermaliq BIN]

APP.yaml is `kubectl kustomize deploy/overlays/production`, SECRETS.yaml the
rendered deploy/overlays/production/secrets. Checks, each printed as ok/FAIL:
  - every object against the Kubernetes 1.30 schemas (kubernetes-validate, strict)
    or, for the two prometheus-operator kinds, .ci/ops/schemas/;
  - the names and settings the on-call runbook relies on;
  - references between objects (ConfigMap/Secret keys, selectors, ports);
  - config.yaml and the Deployment's environment use only settings the server
    reads (the settings table in crates/server/src/config/table.rs), apart from the listed
    PENDING ones the server does not read yet;
  - with --thermaliq, the real binary accepts config.yaml plus the pod's
    environment (`thermaliq config validate`) and reports no unused key.
Exit 1 when any check fails.
"""
import argparse
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile

import jsonschema
import kubernetes_validate
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCHEMAS = pathlib.Path(__file__).resolve().parent / "schemas"
K8S_VERSION = "1.30.0"
NAMESPACE = "gl-009-production"

# Settings the manifests set for the server that it does not read yet: the meter and
# historian connectors do not exist yet (docs/OPERATIONS.md "Deployment package and
# alerts" lists what the Rust side must add). They are allowed, and reported.
PENDING_SETTINGS = {"ENERGY_METER_CREDENTIALS_DIR", "HISTORIAN_CREDENTIALS_DIR"}

results = []


def check(name):
    def wrap(fn):
        try:
            fn()
            results.append((name, None))
        except AssertionError as e:
            results.append((name, str(e) or "assertion failed"))
        except Exception as e:  # a crash in a check is a failure too, with its reason
            results.append((name, f"{type(e).__name__}: {e}"))
        return fn
    return wrap


def load(path):
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def find(objs, kind, name):
    hits = [o for o in objs if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(hits) == 1, f"expected one {kind}/{name}, found {len(hits)}"
    return hits[0]


def crd_validator(kind):
    schema = json.loads((SCHEMAS / f"{kind.lower()}-monitoring-v1.json").read_text())
    return jsonschema.Draft202012Validator(schema)


def validate_object(obj):
    """Returns an error string, or None when the object is valid."""
    kind, api = obj.get("kind"), obj.get("apiVersion", "")
    if api.startswith("monitoring.coreos.com/"):
        if kind not in ("PrometheusRule", "ServiceMonitor") or api != "monitoring.coreos.com/v1":
            return f"no schema for {api} {kind}"
        errors = sorted(crd_validator(kind).iter_errors(obj), key=lambda e: list(e.path))
        return "; ".join(f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors) or None
    try:
        kubernetes_validate.validate(obj, K8S_VERSION, strict=True)
        return None
    except kubernetes_validate.ValidationError as e:
        return f"{'/'.join(map(str, e.path))}: {e.message}"
    except kubernetes_validate.SchemaNotFoundError:
        return f"no Kubernetes {K8S_VERSION} schema for {api} {kind}"


def known_settings():
    """The setting names of the server's settings table (config/table.rs), plus THERMALIQ_CONFIG."""
    path = ROOT / "crates" / "server" / "src" / "config" / "table.rs"
    text = path.read_text(encoding="utf-8")
    names = set(re.findall(r'Setting \{\s*name: "([A-Z0-9_]+)"', text))
    assert names, f"{path}: no settings found"
    return names | {"THERMALIQ_CONFIG"}


def flatten(prefix, value, out):
    """The server's own flattening (config.rs flatten_yaml): nested keys join with _."""
    if isinstance(value, dict):
        for k, v in value.items():
            assert isinstance(k, str), f"key {k!r} is not a string"
            key = k.replace(".", "_").replace("-", "_").upper()
            flatten(f"{prefix}_{key}" if prefix else key, v, out)
    elif isinstance(value, list):
        raise AssertionError(f"{prefix}: must be a single value, not a list")
    elif value is not None:
        out[prefix] = value


def pod_env(deploy, secrets):
    """The environment the thermaliq container gets, secrets resolved from SECRETS."""
    env = {}
    container = deploy["spec"]["template"]["spec"]["containers"][0]
    for e in container.get("env", []):
        if "value" in e:
            env[e["name"]] = str(e["value"])
        else:
            ref = e["valueFrom"]["secretKeyRef"]
            secret = find(secrets, "Secret", ref["name"])
            env[e["name"]] = secret["stringData"][ref["key"]]
    return env


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("app")
    ap.add_argument("secrets")
    ap.add_argument("--thermaliq", help="a built thermaliq binary to validate the config with")
    args = ap.parse_args()
    app, secrets = load(args.app), load(args.secrets)
    everything = app + secrets

    for obj in everything:
        label = f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}"
        source = (".ci/ops/schemas" if obj.get("apiVersion", "").startswith("monitoring.coreos.com/")
                  else f"Kubernetes {K8S_VERSION}")

        @check(f"schema {label} ({source}, strict)")
        def _(obj=obj):
            err = validate_object(obj)
            assert err is None, err

    @check("every namespaced object is in gl-009-production")
    def _():
        wrong = [f"{o['kind']}/{o['metadata']['name']}" for o in everything
                 if o["kind"] != "Namespace" and o["metadata"].get("namespace") != NAMESPACE]
        assert not wrong, f"outside {NAMESPACE}: {wrong}"
        find(app, "Namespace", NAMESPACE)

    deploy = find(app, "Deployment", "thermaliq")
    pod = deploy["spec"]["template"]
    container = next((c for c in pod["spec"]["containers"] if c["name"] == "thermaliq"), None)

    @check("Deployment thermaliq: label app=thermaliq, container named thermaliq")
    def _():
        assert deploy["metadata"]["labels"].get("app") == "thermaliq"
        assert pod["metadata"]["labels"].get("app") == "thermaliq"
        assert deploy["spec"]["selector"]["matchLabels"] == {"app": "thermaliq"}
        assert container is not None, "no container named thermaliq (kubectl set image ... thermaliq=)"
        assert "replicas" not in deploy["spec"], "spec.replicas would fight the HPA on every apply"

    @check("probes: liveness and startup /health, readiness /ready, failureThreshold set")
    def _():
        for probe, path in (("livenessProbe", "/health"), ("startupProbe", "/health"),
                            ("readinessProbe", "/ready")):
            p = container.get(probe)
            assert p, f"no {probe}"
            assert p["httpGet"]["path"] == path, f"{probe} path {p['httpGet']['path']}"
            assert p.get("failureThreshold", 0) >= 3, f"{probe} failureThreshold too low"
        s = container["startupProbe"]
        assert s["failureThreshold"] * s.get("periodSeconds", 10) >= 120, \
            "startupProbe allows less than 2 minutes for migrations"

    @check("resources: requests and limits for cpu and memory")
    def _():
        r = container["resources"]
        for part in ("requests", "limits"):
            for res in ("cpu", "memory"):
                assert res in r.get(part, {}), f"missing {part}.{res}"

    @check("runs as non-root with a read-only root filesystem")
    def _():
        sc = pod["spec"]["securityContext"]
        assert sc.get("runAsNonRoot") is True and sc.get("runAsUser", 0) != 0
        csc = container["securityContext"]
        assert csc.get("readOnlyRootFilesystem") is True
        assert csc.get("allowPrivilegeEscalation") is False
        assert csc["capabilities"]["drop"] == ["ALL"]

    env = {e["name"]: e for e in container.get("env", [])}

    def mount_of(volume_name):
        m = [v for v in container["volumeMounts"] if v["name"] == volume_name]
        assert len(m) == 1, f"volume {volume_name} mounted {len(m)} times"
        return m[0]["mountPath"]

    def volume(name):
        v = [v for v in pod["spec"]["volumes"] if v["name"] == name]
        assert len(v) == 1, f"no volume {name}"
        return v[0]

    @check("config.yaml from ConfigMap thermaliq-config at /etc/config/config.yaml = THERMALIQ_CONFIG")
    def _():
        cm = find(app, "ConfigMap", "thermaliq-config")
        assert "config.yaml" in cm["data"]
        assert env["THERMALIQ_CONFIG"]["value"] == "/etc/config/config.yaml"
        vol = [v for v in pod["spec"]["volumes"]
               if v.get("configMap", {}).get("name") == "thermaliq-config"]
        assert len(vol) == 1, "thermaliq-config is not a volume"
        items = {i["key"]: i["path"] for i in vol[0]["configMap"].get("items", [])} or {"config.yaml": "config.yaml"}
        path = pathlib.PurePosixPath(mount_of(vol[0]["name"])) / items["config.yaml"]
        assert str(path) == "/etc/config/config.yaml", f"config.yaml is mounted at {path}"

    @check("Secrets energy-meter-credentials and historian-credentials mounted as files at the *_CREDENTIALS_DIR")
    def _():
        for secret, keys, var in (("energy-meter-credentials", {"client-id", "client-secret"},
                                   "ENERGY_METER_CREDENTIALS_DIR"),
                                  ("historian-credentials", {"username", "password"},
                                   "HISTORIAN_CREDENTIALS_DIR")):
            s = find(secrets, "Secret", secret)
            assert set(s["stringData"]) == keys, f"{secret} keys {sorted(s['stringData'])}"
            vol = [v for v in pod["spec"]["volumes"]
                   if v.get("secret", {}).get("secretName") == secret]
            assert len(vol) == 1, f"{secret} is not a volume"
            assert env[var]["value"] == mount_of(vol[0]["name"]), f"{var} is not the mount dir"

    @check("every secretKeyRef and configMap/secret volume resolves to an object with that key")
    def _():
        for e in container.get("env", []):
            ref = e.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                s = find(secrets, "Secret", ref["name"])
                assert ref["key"] in s["stringData"], f"{ref['name']} has no key {ref['key']}"
        for v in pod["spec"]["volumes"]:
            if "secret" in v:
                find(secrets, "Secret", v["secret"]["secretName"])
            if "configMap" in v:
                cm = find(app, "ConfigMap", v["configMap"]["name"])
                for item in v["configMap"].get("items", []):
                    assert item["key"] in cm["data"], f"{cm['metadata']['name']} lacks {item['key']}"
        for m in container["volumeMounts"]:
            volume(m["name"])

    @check("DATABASE_URL and REDIS_URL come from a Secret")
    def _():
        for var in ("DATABASE_URL", "REDIS_URL"):
            assert "secretKeyRef" in env[var].get("valueFrom", {}), f"{var} is not from a Secret"

    @check("committed Secret values are all marked PLACEHOLDER")
    def _():
        for s in secrets:
            assert s["kind"] == "Secret"
            assert "data" not in s, f"{s['metadata']['name']}: use stringData placeholders"
            bad = [k for k, v in s["stringData"].items() if "PLACEHOLDER" not in v]
            assert not bad, f"{s['metadata']['name']}: not placeholders: {bad}"
        assert not [o for o in app if o["kind"] == "Secret"], \
            "the app overlay must not carry Secrets (it would overwrite rotated credentials)"

    @check("Service thermaliq selects the pods and exposes the named port http")
    def _():
        svc = find(app, "Service", "thermaliq")
        labels = pod["metadata"]["labels"]
        assert all(labels.get(k) == v for k, v in svc["spec"]["selector"].items())
        ports = {p["name"] for p in container["ports"]}
        assert all(p["targetPort"] in ports for p in svc["spec"]["ports"])

    @check("HPA thermaliq: Deployment thermaliq, 4-12 replicas, 70 % CPU")
    def _():
        hpa = find(app, "HorizontalPodAutoscaler", "thermaliq")
        s = hpa["spec"]
        assert s["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "thermaliq"}
        assert (s["minReplicas"], s["maxReplicas"]) == (4, 12)
        cpu = [m for m in s["metrics"] if m["resource"]["name"] == "cpu"]
        assert cpu[0]["resource"]["target"] == {"type": "Utilization", "averageUtilization": 70}

    @check("PodDisruptionBudget selects the pods")
    def _():
        pdb = [o for o in app if o["kind"] == "PodDisruptionBudget"]
        assert len(pdb) == 1
        assert pdb[0]["spec"]["selector"]["matchLabels"] == {"app": "thermaliq"}

    @check("NetworkPolicy thermaliq-egress: the pods' egress, DNS, PostgreSQL, Redis, HTTPS")
    def _():
        np = find(app, "NetworkPolicy", "thermaliq-egress")
        assert np["spec"]["podSelector"]["matchLabels"] == {"app": "thermaliq"}
        assert np["spec"]["policyTypes"] == ["Egress"]
        ports = {(p["protocol"], p["port"]) for rule in np["spec"]["egress"] for p in rule["ports"]}
        for need in (("UDP", 53), ("TCP", 5432), ("TCP", 6379), ("TCP", 443)):
            assert need in ports, f"egress lacks {need}"

    @check("ServiceMonitor scrapes the Service's http port at /metrics")
    def _():
        sm = find(app, "ServiceMonitor", "thermaliq")
        svc = find(app, "Service", "thermaliq")
        assert sm["spec"]["selector"]["matchLabels"].items() <= svc["metadata"]["labels"].items()
        ep = sm["spec"]["endpoints"][0]
        assert ep["port"] in {p["name"] for p in svc["spec"]["ports"]}
        assert ep["path"] == "/metrics"

    @check("PrometheusRule thermaliq is in the package, spec equal to monitoring/prometheus/thermaliq.rules.yml")
    def _():
        rule = find(app, "PrometheusRule", "thermaliq")
        plain = yaml.safe_load((ROOT / "monitoring/prometheus/thermaliq.rules.yml").read_text())
        assert rule["spec"] == plain, "run python3 monitoring/build_prometheusrule.py"

    known = {}

    @check("KNOWN_SETTINGS read from crates/server/src")
    def _():
        known["names"] = known_settings()

    names = known.get("names", set())

    @check("config.yaml uses only settings the server reads")
    def _():
        assert names, "KNOWN_SETTINGS unavailable"
        flat = {}
        flatten("", yaml.safe_load(find(app, "ConfigMap", "thermaliq-config")["data"]["config.yaml"]), flat)
        unknown = sorted(set(flat) - names)
        assert not unknown, f"keys the server does not read: {unknown}"
        secret_names = {"DATABASE_URL", "REDIS_URL", "THERMALIQ_BOOTSTRAP_TOKEN"}
        assert not secret_names & set(flat), "secrets do not belong in the ConfigMap"

    @check("the container's environment uses only settings the server reads (or PENDING ones)")
    def _():
        assert names, "KNOWN_SETTINGS unavailable"
        unknown = sorted(set(env) - names - PENDING_SETTINGS)
        assert not unknown, f"variables the server does not read: {unknown}"
        for n in sorted(PENDING_SETTINGS & set(env)):
            state = "now read by the server" if n in names else "not read by the server yet"
            print(f"note {n}: {state}")

    if args.thermaliq:
        @check("thermaliq config validate accepts config.yaml with the pod's environment")
        def _():
            cm = find(app, "ConfigMap", "thermaliq-config")
            with tempfile.TemporaryDirectory() as tmp:
                cfg = pathlib.Path(tmp) / "config.yaml"
                cfg.write_text(cm["data"]["config.yaml"], encoding="utf-8")
                pod_vars = pod_env(deploy, secrets)
                pod_vars.pop("THERMALIQ_CONFIG")
                pod_vars["THERMALIQ_DATA_DIR"] = tmp
                run = subprocess.run([args.thermaliq, "config", "validate", "--file", str(cfg)],
                                     env={"PATH": os.environ.get("PATH", ""), **pod_vars},
                                     capture_output=True, text=True, timeout=60)
            assert run.returncode == 0, f"exit {run.returncode}: {run.stderr.strip()}"
            assert "not used" not in run.stderr, run.stderr.strip()
            effective = json.loads(run.stdout)
            file_settings = yaml.safe_load(cm["data"]["config.yaml"])
            assert effective["bind"] == "0.0.0.0:8080", effective["bind"]
            assert effective["database_pool_size"] == file_settings["database"]["pool_size"]
            assert effective["max_concurrent_calculations"] == file_settings["max_concurrent_calculations"]
            assert "PLACEHOLDER" not in run.stdout, "a secret was printed"

    failed = 0
    for name, err in results:
        if err is None:
            print(f"ok   {name}")
        else:
            failed += 1
            print(f"FAIL {name}: {err}")
    print(f"manifests: {len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
