"""The Kubernetes and KServe manifests, validated offline against the Kubernetes schemas and the service.

kubernetes-validate ships the Kubernetes OpenAPI schemas (strict: unknown fields fail). The KServe
InferenceService is checked against deploy/kserve/inferenceservice.schema.json, a hand-written schema of
the fields used whose Kubernetes parts (Container, Volume, ...) point into those same shipped schemas.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from importlib_resources import files
from referencing import Registry, Resource

from service.front import config as front_config
from tests.service.server import REPO

KUBERNETES = REPO / "deploy" / "kubernetes"
KSERVE = REPO / "deploy" / "kserve"
LATEST = ".".join(kubernetes_validate.latest_version().split(".")[:2])
VERSIONS = ("1.29", "1.33", LATEST)  # an old supported release to the newest schemas shipped
RELOAD_SOURCE = (REPO / "service" / "process" / "reload.py").read_text()
SOCKET = front_config.KUBERNETES_UPSTREAM.removeprefix("unix:")


def documents(path: Path) -> list[dict[str, Any]]:
    """The non-empty YAML documents of a file."""
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def kustomized() -> dict[str, dict[str, Any]]:
    """The resources the kustomization applies, by kind."""
    kustomization = documents(KUBERNETES / "kustomization.yaml")[0]
    found: dict[str, dict[str, Any]] = {}
    for name in kustomization["resources"]:
        for doc in documents(KUBERNETES / name):
            found[doc["kind"]] = doc
    return found


RESOURCES = kustomized()
POD = RESOURCES["Deployment"]["spec"]["template"]["spec"]
CONTAINERS = {c["name"]: c for c in POD["containers"]}
APP, FRONT = CONTAINERS["purchase-predictor"], CONTAINERS["front"]


def generated_config_maps() -> dict[str, dict[str, Any]]:
    """The ConfigMaps the kustomization generates from files, by name (without kustomize's hash suffix)."""
    kustomization = documents(KUBERNETES / "kustomization.yaml")[0]
    found = {}
    for generator in kustomization.get("configMapGenerator", []):
        data = {Path(name).name: (KUBERNETES / name).read_text() for name in generator["files"]}
        found[generator["name"]] = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": generator["name"]},
            "data": data,
        }
    return found


def env(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A container's environment entries by name."""
    return {e["name"]: e for e in container.get("env", [])}


def cpus(quantity: str) -> float:
    """A CPU quantity ('2', '500m') in cores."""
    return int(quantity[:-1]) / 1000 if quantity.endswith("m") else float(quantity)


def test_the_kustomization_lists_every_manifest_and_sets_the_image() -> None:
    assert set(RESOURCES) == {"Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"}
    kustomization = documents(KUBERNETES / "kustomization.yaml")[0]
    (image,) = kustomization["images"]
    assert image["name"] == APP["image"] == FRONT["image"]  # the image carries nginx too


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    "path", sorted([*KUBERNETES.glob("*.yaml"), KSERVE / "inferenceservice.yaml"]), ids=str
)
def test_manifests_validate_against_the_kubernetes_schemas(path: Path, version: str) -> None:
    for doc in documents(path):
        if doc["kind"] == "Kustomization" or doc["apiVersion"].startswith("serving.kserve.io/"):
            continue  # not a Kubernetes API type (the InferenceService has its own test below)
        kubernetes_validate.validate(doc, version, strict=True)


@pytest.mark.parametrize("version", VERSIONS)
def test_generated_config_maps_validate_against_the_kubernetes_schemas(version: str) -> None:
    for doc in generated_config_maps().values():
        kubernetes_validate.validate(doc, version, strict=True)


def test_a_broken_manifest_fails_validation() -> None:
    broken = json.loads(json.dumps(RESOURCES["Deployment"]))
    broken["spec"]["template"]["spec"]["containers"][0]["resources"]["limit"] = {"cpu": "1"}  # typo
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, VERSIONS[-1], strict=True)


def kserve_validator(version: str) -> jsonschema.Draft202012Validator:
    """A validator for the hand-written InferenceService schema, Kubernetes types from the shipped schemas."""
    folder = files("kubernetes_validate") / "kubernetes-json-schema" / f"v{version}.0-local-strict"
    definitions = Resource.from_contents(json.loads((folder / "_definitions.json").read_text()))
    schema = json.loads((KSERVE / "inferenceservice.schema.json").read_text())
    registry: Registry[Any] = Resource.from_contents(schema) @ (definitions @ Registry())
    return jsonschema.Draft202012Validator(schema, registry=registry)


@pytest.mark.parametrize("version", VERSIONS)
def test_inference_service_validates_against_its_schema(version: str) -> None:
    (isvc,) = documents(KSERVE / "inferenceservice.yaml")
    kserve_validator(version).validate(isvc)


@pytest.mark.parametrize(
    "breakage",
    [
        "spec.predictor.containers.0.imagePulPolicy=Always",
        "spec.predictor.volumes.0.emptyDir=tmp",
        "spec.predictor.minReplica=1",
        "spec.predictor.scaleMetric=gpu",
        "metadata.name=Purchase_Predictor",
    ],
)
def test_inference_service_schema_catches_mistakes(breakage: str) -> None:
    (isvc,) = documents(KSERVE / "inferenceservice.yaml")
    path, value = breakage.split("=")
    *parents, last = path.split(".")
    node: Any = isvc
    for key in parents:
        node = node[int(key)] if key.isdigit() else node[key]
    node[last] = value
    with pytest.raises(jsonschema.ValidationError):
        kserve_validator(VERSIONS[-1]).validate(isvc)


def test_deployment_is_non_root_read_only_with_a_writable_tmp() -> None:
    pod = POD
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] > 0
    for container in (APP, FRONT):
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True and security["allowPrivilegeEscalation"] is False
        assert security["capabilities"]["drop"] == ["ALL"]
    assert "mkdtemp" in RELOAD_SOURCE  # the master writes its metrics directory and model store under TMPDIR
    mounts = {m["mountPath"]: m["name"] for m in APP["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    tmpdir = env(APP)["TMPDIR"]["value"]
    assert "emptyDir" in volumes[mounts[tmpdir]]
    front_mounts = {m["mountPath"]: m["name"] for m in FRONT["volumeMounts"]}
    assert (
        "emptyDir" in volumes[front_mounts[front_config.KUBERNETES_RUN_DIR]]
    )  # nginx's pid and body buffers


def test_deployment_probes_pause_and_worker_count() -> None:
    pod = POD
    probe = ["python3", "-m", "service.front.probe", SOCKET, "/health"]
    assert APP["livenessProbe"]["exec"]["command"] == APP["startupProbe"]["exec"]["command"] == probe
    assert FRONT["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "http"}  # the path traffic takes
    assert APP["lifecycle"]["preStop"]["exec"]["command"][0] == "python3"
    assert int(env(APP)["PREDICT_WORKERS"]["value"]) == cpus(APP["resources"]["limits"]["cpu"])
    graceful = int(env(APP)["PREDICT_GRACEFUL_TIMEOUT"]["value"])
    assert pod["terminationGracePeriodSeconds"] > graceful + 12  # the pause plus gunicorn's graceful stop
    assert APP["resources"]["requests"]["memory"] and APP["resources"]["limits"]["memory"]


def test_only_the_nginx_sidecar_is_reachable_and_gunicorn_listens_on_the_shared_socket() -> None:
    assert "ports" not in APP and [p["containerPort"] for p in FRONT["ports"]] == [
        front_config.KUBERNETES.port
    ]
    command = APP["command"]
    assert command[:2] == ["purchase-predictor", "serve"]  # the installed command: the image has no sources
    socket = command[command.index("--socket") + 1]
    assert f"unix:{socket}" == f"unix:{SOCKET}" == front_config.KUBERNETES_UPSTREAM
    socket_dir = str(Path(SOCKET).parent)
    for container in (APP, FRONT):
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        assert mounts[socket_dir] == "app-socket"
    assert "emptyDir" in {v["name"]: v for v in POD["volumes"]}["app-socket"]


def test_the_sidecar_runs_the_generated_config_from_the_config_map() -> None:
    (name, config_map), *_ = generated_config_maps().items()
    assert config_map["data"]["nginx.conf"] == front_config.kubernetes_config(), (
        "deploy/kubernetes/nginx.conf is stale: python -m service.front.config > deploy/kubernetes/nginx.conf"
    )
    volume = {v["name"]: v for v in POD["volumes"]}["front-config"]
    assert volume["configMap"]["name"] == name
    mount = {m["name"]: m["mountPath"] for m in FRONT["volumeMounts"]}["front-config"]
    assert FRONT["command"][:3] == ["nginx", "-c", f"{mount}/nginx.conf"]
    assert "-s quit" in " ".join(FRONT["lifecycle"]["preStop"]["exec"]["command"])  # graceful, not SIGTERM


def test_replicas_share_the_monitoring_store_through_a_secret() -> None:
    for container in (
        APP,
        documents(KSERVE / "inferenceservice.yaml")[0]["spec"]["predictor"]["containers"][0],
    ):
        reference = env(container)["PREDICT_MONITOR_DB"]["valueFrom"]["secretKeyRef"]
        assert reference == {"name": "purchase-predictor-monitor-db", "key": "url"}
    (example,) = documents(KUBERNETES / "secret.example.yaml")
    assert example["metadata"]["name"] == "purchase-predictor-monitor-db"
    assert example["stringData"]["url"].startswith("postgresql://")


def test_service_hpa_and_pdb_point_at_the_deployment() -> None:
    deployment = RESOURCES["Deployment"]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    port_names = {p["name"] for p in FRONT["ports"]}
    service = RESOURCES["Service"]["spec"]
    assert service["selector"].items() <= labels.items() and service["ports"][0]["targetPort"] in port_names
    assert RESOURCES["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"].items() <= labels.items()
    target = RESOURCES["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", deployment["metadata"]["name"])
    hpa = RESOURCES["HorizontalPodAutoscaler"]["spec"]
    assert hpa["minReplicas"] > RESOURCES["PodDisruptionBudget"]["spec"]["minAvailable"]


def test_inference_service_speaks_v2_as_kserve_expects() -> None:
    (isvc,) = documents(KSERVE / "inferenceservice.yaml")
    (container,) = isvc["spec"]["predictor"]["containers"]
    variables = env(container)
    assert container["name"] == "kserve-container"
    assert variables["PROTOCOL"]["value"] == "v2"  # lower case: KServe accepts exactly v1 or v2
    assert variables["PREDICT_MODEL_NAME"]["value"] == isvc["metadata"]["name"]  # transformers call this name
    assert "PORT" not in variables  # reserved by Knative, which sets it to the declared port
    assert "command" not in container and "PREDICT_FRONT" not in variables  # the image CMD: worker front
    (port,) = container["ports"]
    assert port["containerPort"] == 8000 and port["name"] in {"http1", "h2c"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/v2/health/ready", "port": 8000}
    assert container["livenessProbe"]["httpGet"] == {"path": "/v2/health/live", "port": 8000}
    assert int(variables["PREDICT_WORKERS"]["value"]) == cpus(container["resources"]["limits"]["cpu"])
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert variables["TMPDIR"]["value"] in mounts
