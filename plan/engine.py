"""The offline engine: Pulumi's mock monitor, extended to keep every registration request.

The test suite builds a stack in nearly every test, so a build's cost is the suite's cost. Three things a build
used to pay for that no plan needs are avoided, each explained where it is done: cyclic garbage collection during the
build (`_collector_paused`), the stack trace the SDK records for every resource (`_without_source_positions`), and
parsing the same stack files again (`_parsed_yaml`). None of them changes what a plan contains; what is left is the
SDK's own work per resource and the program itself.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import json
import runpy
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import pulumi
import yaml
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import resource as pulumi_resource
from pulumi.runtime import rpc
from pulumi.runtime.proto import source_pb2
from pulumi.runtime.settings import SETTINGS, set_root_resource
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from plan.mocks import AwsMocks

ROOT = Path(__file__).resolve().parent.parent
SECRET_PLACEHOLDER = "offline-secret-value"


@dataclass
class PlannedResource:
    """One resource the program declares: what a `pulumi preview` would show, plus its safety options."""

    type: str
    name: str
    urn: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    parent: str
    custom: bool
    protect: bool
    retain_on_delete: bool
    delete_before_replace: bool
    dependencies: list[str]
    ignore_changes: list[str]
    provider: str
    # Which resources each input came from (`{"bucket": [bucket urn]}`), as a policy pack's stack validation sees them.
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)

    def get(self, path: str, default: Any = None) -> Any:
        """An input by dotted path through objects and lists: `metadataOptions.httpTokens`, `ingress.0.fromPort`."""
        value: Any = self.inputs
        for part in path.split("."):
            if isinstance(value, Mapping) and part in value:
                value = value[part]
            elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
                value = value[int(part)]
            else:
                return default
        return value


@dataclass
class Plan:
    """Every resource of one program run, queried like a preview.

    `plan.of_type("aws:ec2/securityGroup:SecurityGroup")` lists the security groups, with inputs in the engine's
    camelCase (`fromPort`, `kmsKeyId`) and ids of the form `<name>-id`.
    """

    stack: str
    resources: list[PlannedResource]
    outputs: dict[str, Any] = field(default_factory=dict)
    # What the program warned about (`pulumi.log.warn`), as `pulumi preview` would show it.
    warnings: list[str] = field(default_factory=list)

    def __iter__(self) -> Iterator[PlannedResource]:
        return iter(self.resources)

    def of_type(self, type_: str) -> list[PlannedResource]:
        return [r for r in self.resources if r.type == type_]

    def named(self, name: str) -> PlannedResource:
        found = [r for r in self.resources if r.name == name]
        if len(found) != 1:
            raise KeyError(f"expected one resource named {name!r}, found {len(found)}")
        return found[0]

    def by_urn(self, urn: str) -> PlannedResource:
        return next(r for r in self.resources if r.urn == urn)

    def children_of(self, parent: PlannedResource) -> list[PlannedResource]:
        return [r for r in self.resources if r.parent == parent.urn]

    def within(self, component: PlannedResource) -> list[PlannedResource]:
        """Every resource below a component, at any depth."""
        found: list[PlannedResource] = []
        frontier = [component.urn]
        while frontier:
            urn = frontier.pop()
            for r in self.resources:
                if r.parent == urn:
                    found.append(r)
                    frontier.append(r.urn)
        return found

    def component_of(self, resource: PlannedResource) -> PlannedResource | None:
        """The outermost component (direct child of the stack) that a resource belongs to."""
        current: PlannedResource | None = resource
        owner = None
        while current is not None and current.parent:
            parent = next((r for r in self.resources if r.urn == current.parent), None)
            if parent is None:
                break
            owner = parent
            current = parent
        return owner

    def id_of(self, resource: PlannedResource) -> str:
        return f"{resource.name}-id"


class CapturingMonitor(pulumi_mocks.MockMonitor):
    """The SDK's mock monitor, also keeping each request's inputs and resource options."""

    def __init__(self, mocks: pulumi_mocks.Mocks) -> None:
        super().__init__(mocks)
        self.captured: list[PlannedResource] = []

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - the gRPC method's name
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        if request.type != "pulumi:pulumi:Stack":
            urn = self.make_urn(request.parent, request.type, request.name)
            self.captured.append(
                PlannedResource(
                    type=request.type,
                    name=request.name,
                    urn=urn,
                    inputs=rpc.deserialize_properties(request.object, keep_unknowns=True),
                    outputs=dict(self.resources[urn].state) if urn in self.resources else {},
                    parent=request.parent,
                    custom=request.custom,
                    protect=bool(request.protect),
                    retain_on_delete=bool(request.retainOnDelete),
                    delete_before_replace=bool(request.deleteBeforeReplace),
                    dependencies=list(request.dependencies),
                    ignore_changes=list(request.ignoreChanges),
                    provider=request.provider,
                    property_dependencies={key: list(deps.urns) for key, deps in request.propertyDependencies.items()},
                )
            )
        return response


@functools.lru_cache(maxsize=32)
def _parsed_yaml(text: str) -> Any:
    """A YAML document, parsed once per process for each distinct text; callers must not change what it returns.

    PyYAML's pure-Python loader takes several milliseconds per stack file, paid on every build otherwise. Keying on
    the text (read afresh each time) rather than the path keeps an edited or temporary stack file correct.
    """
    return yaml.safe_load(text)


def stacks(root: Path = ROOT) -> list[str]:
    """The stacks of the Pulumi project in `root`: one per `Pulumi.<stack>.yaml` beside its `Pulumi.yaml`."""
    return sorted(p.stem.removeprefix("Pulumi.") for p in root.glob("Pulumi.*.yaml"))


def load_stack_config(stack: str, root: Path = ROOT) -> tuple[str, dict[str, Any], list[str]]:
    """The project name, the stack's config as the engine passes it (objects JSON-encoded), and its secret keys."""
    project_file = _parsed_yaml((root / "Pulumi.yaml").read_text())
    project = project_file["name"]
    stack_file = _parsed_yaml((root / f"Pulumi.{stack}.yaml").read_text()) or {}
    config: dict[str, Any] = {}
    secret_keys: list[str] = []
    for key, declared in (project_file.get("config") or {}).items():
        if isinstance(declared, Mapping) and "default" in declared:
            config[f"{project}:{key}" if ":" not in key else key] = declared["default"]
    for key, value in (stack_file.get("config") or {}).items():
        full_key = key if ":" in key else f"{project}:{key}"
        if isinstance(value, Mapping) and set(value) == {"secure"}:
            # Ciphertext cannot be decrypted offline; a placeholder keeps the key secret and present.
            config[full_key] = SECRET_PLACEHOLDER
            secret_keys.append(full_key)
        else:
            config[full_key] = value
    return project, {k: _engine_value(v) for k, v in config.items()}, secret_keys


def _engine_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a build runs; the collector's previous state afterwards.

    A build allocates hundreds of thousands of objects (Outputs, futures, protobuf messages, and in a fresh process
    every pulumi_aws class it imports), which keeps triggering collections that walk every live object, the imported
    modules included: a third of a build's time, and more in a fresh process. The build's garbage is collected after
    it instead, in one pass of the collector's next ordinary run.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _no_stack_trace() -> source_pb2.StackTrace:
    return source_pb2.StackTrace()


@contextlib.contextmanager
def _without_source_positions() -> Iterator[None]:
    """Register resources without the stack trace the SDK attaches to each one.

    For every resource the SDK walks the Python stack (`traceback.extract_stack`, which reads each frame's source
    line) so that the engine can tell where it was declared: about 70 ms of a prod build, a tenth of it. The mock
    monitor and the plan never read it. An empty trace is what the SDK itself sends when it finds no user frame.
    Should a later SDK rename the function, the patch is skipped and the build is only slower.
    """
    original = getattr(pulumi_resource, "_get_stack_trace", None)
    if original is None:
        yield
        return
    pulumi_resource._get_stack_trace = _no_stack_trace
    try:
        yield
    finally:
        pulumi_resource._get_stack_trace = original


def run_as_command(main: Callable[[], int]) -> NoReturn:
    """Run a one-shot command (`python -m plan`, `python -m costs`) that ends right after printing.

    The collector is off for all of it: what little garbage the run leaves is freed when the process exits
    (`run_program` pauses the collector during the build anyway). At exit the interpreter runs full collections over
    every live object, the ~450,000 of the SDK and pulumi_aws among them: well over a second. Frozen objects are
    skipped by those collections (`gc.freeze`).
    """
    gc.disable()
    status = main()
    gc.freeze()
    raise SystemExit(status)


def run_program(
    program: Callable[[], Any],
    *,
    project: str = "aws-compute-platform",
    stack: str = "test",
    config: Mapping[str, Any] | None = None,
    secret_keys: list[str] | None = None,
) -> Plan:
    """Run `program` under the mock engine with the given `project:key` config and return what it declared."""
    mocks = AwsMocks()
    monitor = CapturingMonitor(mocks)
    set_root_resource(None)  # type: ignore[arg-type]
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=False, monitor=monitor)
    pulumi.runtime.set_all_config({k: _engine_value(v) for k, v in (config or {}).items()}, secret_keys or [])
    SETTINGS.rpc_manager.clear()
    SETTINGS.outputs.clear()
    warnings: list[str] = []
    original_warn = pulumi.log.warn

    def warn(msg: str, *args: Any, **kwargs: Any) -> None:
        warnings.append(msg)
        original_warn(msg, *args, **kwargs)

    pulumi.log.warn = warn  # type: ignore[assignment]
    with _collector_paused(), _without_source_positions():
        try:
            _sync_await(run_pulumi_func(program))
        except BaseException as exc:
            # Tests of bad configuration check that nothing was declared before the error.
            exc.plan = Plan(stack=stack, resources=monitor.captured, warnings=warnings)  # type: ignore[attr-defined]
            raise
        finally:
            pulumi.log.warn = original_warn  # type: ignore[assignment]
        root = pulumi.runtime.get_root_resource()
        outputs: dict[str, Any] = {}
        for name, value in (getattr(root, "outputs", None) or {}).items():
            outputs[name] = _sync_await(pulumi.Output.from_input(value).future())
    return Plan(stack=stack, resources=monitor.captured, outputs=outputs, warnings=warnings)


def run_stack(stack: str, overrides: Mapping[str, Any] | None = None, root: Path = ROOT) -> Plan:
    """Run `__main__.py` for a stack from its real stack file (plus `overrides`, by full key) and return the plan."""
    project, config, secret_keys = load_stack_config(stack, root)
    config.update({k: _engine_value(v) for k, v in (overrides or {}).items()})
    main = str(root / "__main__.py")
    return run_program(
        lambda: runpy.run_path(main, run_name="__main__"),
        project=project,
        stack=stack,
        config=config,
        secret_keys=secret_keys,
    )
