"""The fleet manifests (scripts/kubernetes/sim800emu.yaml, README "Fleets"),
checked offline: every object against the Kubernetes API schema as Debian's
python3-kubernetes models carry it (each field known, of its type, the
required ones present), then against each other and the image recipe: the
StatefulSet behind its headless Service, the NetworkPolicy open to the
Job's pods on every modem's port, the Job driving every modem of every pod,
the image tag the project's version, the probes the image's health check."""
import re

import pytest

from pkglib import REPO, project_version

yaml = pytest.importorskip("yaml")
k8s = pytest.importorskip("kubernetes.client", reason="python3-kubernetes (scripts/deps)")

MANIFEST = REPO / "scripts" / "kubernetes" / "sim800emu.yaml"
KINDS = {("v1", "Service"): "V1Service", ("apps/v1", "StatefulSet"): "V1StatefulSet",
         ("networking.k8s.io/v1", "NetworkPolicy"): "V1NetworkPolicy",
         ("batch/v1", "Job"): "V1Job"}
PRIMITIVES = {"str": str, "int": int, "bool": bool, "float": (int, float), "object": object}


def schema_errors(value, type_name, path):
    """Every place value does not fit type_name (a python3-kubernetes model
    name or one of its type strings), as "path: why"."""
    m = re.fullmatch(r"list\[(.+)\]", type_name)
    if m:
        if not isinstance(value, list):
            return [f"{path}: a list expected"]
        return [e for i, v in enumerate(value) for e in schema_errors(v, m[1], f"{path}[{i}]")]
    m = re.fullmatch(r"dict\(str, (.+)\)", type_name)
    if m:
        if not isinstance(value, dict):
            return [f"{path}: a map expected"]
        return [e for k, v in value.items() for e in schema_errors(v, m[1], f"{path}.{k}")]
    if type_name in PRIMITIVES:
        ok = isinstance(value, PRIMITIVES[type_name]) and not (
            type_name in ("int", "float") and isinstance(value, bool))
        return [] if ok else [f"{path}: {type_name} expected, not {value!r}"]
    model = getattr(k8s, type_name)
    if not isinstance(value, dict):
        return [f"{path}: an object ({type_name}) expected"]
    by_json = {j: a for a, j in model.attribute_map.items()}
    errors = []
    for key, v in value.items():
        if key not in by_json:
            errors.append(f"{path}.{key}: not a field of {type_name}")
        else:
            errors += schema_errors(v, model.openapi_types[by_json[key]], f"{path}.{key}")
    return errors


def objects():
    return [d for d in yaml.safe_load_all(MANIFEST.read_text()) if d]


def by_kind(kind):
    found = [d for d in objects() if d["kind"] == kind]
    assert len(found) == 1, kind
    return found[0]


def test_every_object_fits_the_api_schema():
    docs = objects()
    assert {(d["apiVersion"], d["kind"]) for d in docs} == set(KINDS)
    api = k8s.ApiClient()
    for d in docs:
        model = KINDS[(d["apiVersion"], d["kind"])]
        errors = schema_errors(d, model, d["kind"])
        assert not errors, errors
        # The models' constructors refuse a missing required field.
        api._ApiClient__deserialize(d, model)


def test_the_schema_check_catches_mistakes():
    """The checker itself: a misspelt field, a wrong type, a missing
    required field each fail."""
    sts = by_kind("StatefulSet")
    sts["spec"]["replica"] = 5
    assert schema_errors(sts, "V1StatefulSet", "s") == ["s.spec.replica: not a field of "
                                                        "V1StatefulSetSpec"]
    sts = by_kind("StatefulSet")
    sts["spec"]["replicas"] = "5"
    assert schema_errors(sts, "V1StatefulSet", "s")
    sts = by_kind("StatefulSet")
    del sts["spec"]["template"]["spec"]["containers"][0]["name"]
    with pytest.raises(ValueError):
        k8s.ApiClient()._ApiClient__deserialize(sts, "V1StatefulSet")


def modems_per_pod(args):
    return int(args[args.index("--modems") + 1])


def test_the_pieces_fit_together():
    svc, sts, pol, job = (by_kind(k) for k in ("Service", "StatefulSet", "NetworkPolicy", "Job"))
    pod = sts["spec"]["template"]
    container = pod["spec"]["containers"][0]
    # a headless Service selecting the StatefulSet's pods, which name it
    assert svc["spec"]["clusterIP"] == "None"
    assert sts["spec"]["serviceName"] == svc["metadata"]["name"]
    assert svc["spec"]["selector"] == sts["spec"]["selector"]["matchLabels"]
    assert sts["spec"]["selector"]["matchLabels"].items() <= pod["metadata"]["labels"].items()
    # 20,000 modems as 5 pods x 4,000 (README "Fleets")
    per_pod = modems_per_pod(container["args"])
    assert sts["spec"]["replicas"] * per_pod == 20000
    assert container["image"] == f"sim800emu:{project_version()}"
    # not root, as the image
    assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
    assert pod["spec"]["securityContext"]["runAsUser"] == 800
    # the probes are the image's health check
    health = ["sim800emu", "--request", "/var/lib/sim800emu/control", "status"]
    assert container["readinessProbe"]["exec"]["command"] == health
    assert container["livenessProbe"]["exec"]["command"] == health
    # only the Job's pods reach the modems, on every modem's port
    assert pol["spec"]["podSelector"] == sts["spec"]["selector"]
    rule = pol["spec"]["ingress"][0]
    client_labels = job["spec"]["template"]["metadata"]["labels"]
    assert rule["from"][0]["podSelector"]["matchLabels"].items() <= client_labels.items()
    port = rule["ports"][0]
    assert (port["port"], port["endPort"]) == (7000, 7000 + per_pod - 1)
    # one client pod per emulator pod, each driving all of its modems
    assert job["spec"]["completions"] == sts["spec"]["replicas"] == job["spec"]["parallelism"]
    assert job["spec"]["completionMode"] == "Indexed"
    script = job["spec"]["template"]["spec"]["containers"][0]["args"][0]
    assert "sim800emu-${JOB_COMPLETION_INDEX}.sim800emu" in script
    assert f"--modems {per_pod}" in script and "/fleet/fleet_client.py" in script
