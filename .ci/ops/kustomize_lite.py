#!/usr/bin/env python3
"""A small renderer for the kustomize features deploy/ and monitoring/ use.

    python3 .ci/ops/kustomize_lite.py DIR > rendered.yaml

`kubectl kustomize` is the real renderer and .ci/ops-checks prefers it; this one is
the fallback for a machine without kubectl (only PyPI, Debian and npm are reachable
from CI, and Debian's kubectl 1.20 embeds a kustomize too old for these files).
When kubectl is present, ops-checks renders with both and fails if the objects
differ, so this fallback is checked against the real thing on every run.

Supported, and nothing else (anything else is an error, never silently ignored):
  resources (files and directories), namespace, images (name/newName/newTag/digest),
  patches with `path:` (strategic merge, target from the patch's kind and name),
  configMapGenerator (files, literals, options.labels, options.disableNameSuffixHash
  which must be true: content hashes are not implemented).
"""
import copy
import pathlib
import sys

import yaml

KNOWN_KEYS = {"apiVersion", "kind", "resources", "namespace", "images", "patches",
              "configMapGenerator"}
# Kinds that have no namespace: the namespace transformer leaves them alone.
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition",
                  "PersistentVolume", "StorageClass", "PriorityClass",
                  "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"}
# Strategic-merge keys of the lists these manifests patch (k8s.io/api patchMergeKey).
MERGE_KEYS = {"containers": "name", "initContainers": "name", "env": "name",
              "volumes": "name", "volumeMounts": "mountPath", "ports": "containerPort"}


class RenderError(Exception):
    pass


def load_docs(path: pathlib.Path):
    with path.open(encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def kustomization_file(directory: pathlib.Path) -> pathlib.Path:
    for name in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
        if (directory / name).is_file():
            return directory / name
    raise RenderError(f"{directory}: no kustomization.yaml")


def inside(root: pathlib.Path, path: pathlib.Path) -> pathlib.Path:
    """kustomize's default load restriction: files must be under the kustomization root."""
    resolved = path.resolve()
    if root.resolve() not in (resolved, *resolved.parents):
        raise RenderError(f"{path}: file outside the kustomization root {root}")
    return resolved


def strategic_merge(base, patch, key=None):
    if isinstance(base, dict) and isinstance(patch, dict):
        out = dict(base)
        for k, v in patch.items():
            if isinstance(k, str) and k.startswith("$"):
                raise RenderError(f"patch directive {k} is not supported")
            out[k] = strategic_merge(base[k], v, k) if k in base else copy.deepcopy(v)
        return out
    if isinstance(base, list) and isinstance(patch, list) and key in MERGE_KEYS:
        mk = MERGE_KEYS[key]
        out = [copy.deepcopy(item) for item in base]
        for item in patch:
            match = next((i for i, b in enumerate(out)
                          if isinstance(b, dict) and b.get(mk) == item.get(mk)), None)
            if match is None:
                out.append(copy.deepcopy(item))
            else:
                out[match] = strategic_merge(out[match], item, None)
        return out
    return copy.deepcopy(patch)


def set_image(obj, images):
    spec = obj.get("spec", {}).get("template", {}).get("spec")
    if not spec:
        return
    for group in ("containers", "initContainers"):
        for c in spec.get(group, []):
            image = c.get("image", "")
            name = image.split("@")[0]
            last = name.rsplit("/", 1)[-1]
            if ":" in last:
                name = name[: len(name) - len(last)] + last.split(":")[0]
            for rule in images:
                if rule["name"] != name:
                    continue
                new = rule.get("newName", name)
                if "digest" in rule:
                    c["image"] = f"{new}@{rule['digest']}"
                elif "newTag" in rule:
                    c["image"] = f"{new}:{rule['newTag']}"
                else:
                    tag = image[len(name):]
                    c["image"] = new + tag


def config_map(root: pathlib.Path, gen: dict) -> dict:
    unknown = set(gen) - {"name", "files", "literals", "options"}
    if unknown:
        raise RenderError(f"configMapGenerator {gen.get('name')}: unsupported {sorted(unknown)}")
    options = gen.get("options", {})
    if set(options) - {"labels", "disableNameSuffixHash"}:
        raise RenderError(f"configMapGenerator options {sorted(options)} not supported")
    if options.get("disableNameSuffixHash") is not True:
        raise RenderError(f"configMapGenerator {gen['name']}: content hashes are not implemented;"
                          " set options.disableNameSuffixHash: true")
    data = {}
    for entry in gen.get("files", []):
        key, _, rel = entry.partition("=") if "=" in entry else (None, None, entry)
        path = inside(root, root / rel)
        data[key or pathlib.Path(rel).name] = path.read_text(encoding="utf-8")
    for literal in gen.get("literals", []):
        k, _, v = literal.partition("=")
        data[k] = v
    meta = {"name": gen["name"]}
    if options.get("labels"):
        meta["labels"] = dict(options["labels"])
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data}


def render(directory: pathlib.Path):
    kfile = kustomization_file(directory)
    k = yaml.safe_load(kfile.read_text(encoding="utf-8")) or {}
    unknown = set(k) - KNOWN_KEYS
    if unknown:
        raise RenderError(f"{kfile}: unsupported fields {sorted(unknown)}")
    objects = []
    for res in k.get("resources", []):
        path = directory / res
        if path.is_dir():
            objects.extend(render(path))  # a kustomization may live anywhere, like kustomize
        else:
            objects.extend(load_docs(inside(directory, path)))
    for gen in k.get("configMapGenerator", []):
        objects.append(config_map(directory, gen))
    for patch in k.get("patches", []):
        if set(patch) != {"path"}:
            raise RenderError(f"{kfile}: only `patches: - path:` is supported, got {patch}")
        for p in load_docs(inside(directory, directory / patch["path"])):
            target = [o for o in objects if o["kind"] == p["kind"]
                      and o["metadata"]["name"] == p["metadata"]["name"]]
            if len(target) != 1:
                raise RenderError(f"patch {patch['path']}: {len(target)} targets")
            i = objects.index(target[0])
            objects[i] = strategic_merge(objects[i], p)
    if "images" in k:
        for o in objects:
            set_image(o, k["images"])
    if "namespace" in k:
        for o in objects:
            if o["kind"] not in CLUSTER_SCOPED:
                o.setdefault("metadata", {})["namespace"] = k["namespace"]
    return objects


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        objects = render(pathlib.Path(sys.argv[1]))
    except RenderError as e:
        print(f"kustomize_lite: {e}", file=sys.stderr)
        return 1
    yaml.safe_dump_all(objects, sys.stdout, sort_keys=False, default_flow_style=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
