"""The Terraform gates: ``terraform validate`` of each stack, and each stack against the AWS provider's schema.

Both run the user's terraform CLI with the user's environment: ``TF_CLI_CONFIG_FILE`` (a provider
mirror, ``plugin_cache_dir``), ``TF_PLUGIN_CACHE_DIR`` and the network access it has are theirs.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Iterable

META = {"//", "provider", "depends_on", "lifecycle", "count", "for_each"}  # meta-arguments: not in any schema


def terraform_env() -> dict[str, str]:
    return dict(os.environ, TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1", TF_INPUT="0")


def run_terraform(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["terraform", *args, "-no-color"], cwd=cwd, env=terraform_env(), capture_output=True, text=True, timeout=900)


def _last_lines(text: str, n: int = 6) -> str:
    return " | ".join(ln.strip() for ln in text.strip().splitlines()[-n:] if ln.strip())


class PluginCacheLock:
    """terraform's plugin cache is shared by the stacks' folders: an init may install into it (and
    link from it) while another stack's validate reads the provider there, which then finds "no
    package ... cached in .terraform/providers" (seen once in CI). Inits run one at a time and never
    while a validate runs; validates run together."""

    def __init__(self) -> None:
        self._free = threading.Condition()
        self._validating = 0
        self._initializing = False

    def init(self) -> "_Held":
        return _Held(self, writer=True)

    def validate(self) -> "_Held":
        return _Held(self, writer=False)


class _Held:
    def __init__(self, lock: PluginCacheLock, writer: bool) -> None:
        self.lock, self.writer = lock, writer

    def __enter__(self) -> None:
        lock = self.lock
        with lock._free:
            if self.writer:
                lock._free.wait_for(lambda: not lock._initializing and lock._validating == 0)
                lock._initializing = True
            else:
                lock._free.wait_for(lambda: not lock._initializing)
                lock._validating += 1

    def __exit__(self, *exc_info: object) -> None:
        lock = self.lock
        with lock._free:
            if self.writer:
                lock._initializing = False
            else:
                lock._validating -= 1
            lock._free.notify_all()


_PLUGIN_CACHE = PluginCacheLock()


def validate_stack(stack_dir: Path) -> list[str]:
    """Problems of ``terraform init -backend=false`` and ``terraform validate`` in one stack folder."""
    with _PLUGIN_CACHE.init():
        init = run_terraform(["init", "-backend=false", "-input=false"], stack_dir)
    if init.returncode != 0:
        return [f"{stack_dir.name}: terraform init failed: {_last_lines(init.stderr or init.stdout)}"]
    with _PLUGIN_CACHE.validate():
        done = run_terraform(["validate", "-json"], stack_dir)
    try:
        result = json.loads(done.stdout)
    except json.JSONDecodeError:
        return [f"{stack_dir.name}: terraform validate failed: {_last_lines(done.stderr or done.stdout)}"]
    if result.get("valid"):
        return []
    return [
        f"{stack_dir.name}: {d.get('severity', 'error')}: {d.get('summary', '')}: {d.get('detail', '')}".strip()
        for d in result.get("diagnostics", [])
        if d.get("severity") == "error"
    ] or [f"{stack_dir.name}: terraform validate says the stack is not valid"]


def validate_stacks(stacks_dir: Path, stacks: Iterable[str], workers: int = 2) -> list[str]:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return [p for problems in pool.map(validate_stack, [stacks_dir / s for s in stacks]) for p in problems]


def provider_schema(stacks_dir: Path, stacks: Iterable[str], work: Path) -> dict:
    """The AWS provider's schema (``terraform providers schema -json``) at the version the stacks require."""
    required: dict[str, Any] = {}
    for name in stacks:
        stack = json.loads((stacks_dir / name / "cdk.tf.json").read_text())
        required.update(stack.get("terraform", {}).get("required_providers", {}))
    work.mkdir(parents=True, exist_ok=True)
    (work / "main.tf.json").write_text(json.dumps({"terraform": {"required_providers": required}}))
    init = run_terraform(["init", "-backend=false", "-input=false"], work)
    if init.returncode != 0:
        raise RuntimeError(f"terraform init for the provider schema failed: {_last_lines(init.stderr or init.stdout)}")
    done = run_terraform(["providers", "schema", "-json"], work)
    if done.returncode != 0:
        raise RuntimeError(f"terraform providers schema failed: {_last_lines(done.stderr)}")
    return json.loads(done.stdout)["provider_schemas"]["registry.terraform.io/hashicorp/aws"]


def _is_reference(value: Any) -> bool:
    return isinstance(value, str) and "${" in value


def _type_ok(value: Any, type_: Any) -> bool:
    if _is_reference(value):
        return True
    if isinstance(type_, str):
        return {
            "string": isinstance(value, str),
            "number": isinstance(value, (int, float)) and not isinstance(value, bool),
            "bool": isinstance(value, bool),
            "dynamic": True,
        }.get(type_, False)
    kind, inner = type_[0], type_[1]
    if kind in ("list", "set"):
        return isinstance(value, list) and all(_type_ok(v, inner) for v in value)
    if kind == "map":
        return isinstance(value, dict) and all(_type_ok(v, inner) for v in value.values())
    if kind == "object":
        return isinstance(value, dict) and all(k in inner and _type_ok(v, inner[k]) for k, v in value.items())
    return False


def _check_attribute(key: str, value: Any, spec: dict, where: str) -> list[str]:
    problems = []
    if spec.get("computed") and not (spec.get("optional") or spec.get("required")):
        problems.append(f"{where}.{key}: read-only attribute set")
    if spec.get("deprecated"):
        problems.append(f"{where}.{key}: deprecated attribute")
    if not _type_ok(value, spec["type"]):
        problems.append(f"{where}.{key}: {value!r} does not match type {spec['type']}")
    return problems


def check_block(block: dict, values: dict, where: str) -> list[str]:
    """Problems of one block's ``values`` against its schema: unknown names, read-only or deprecated
    attributes, wrong types, too many or too few nested blocks, missing required attributes."""
    problems = []
    attrs = block.get("attributes", {})
    blocks = block.get("block_types", {})
    for key, value in values.items():
        if key in META:
            continue
        if key in attrs:
            problems += _check_attribute(key, value, attrs[key], where)
        elif key in blocks:
            nested = blocks[key]
            items = value if isinstance(value, list) else [value]
            if nested["nesting_mode"] in ("single", "list", "set") and nested.get("max_items") and len(items) > nested["max_items"]:
                problems.append(f"{where}.{key}: {len(items)} blocks, at most {nested['max_items']}")
            for i, item in enumerate(items):
                if not isinstance(item, dict):
                    problems.append(f"{where}.{key}[{i}]: a block must be a mapping")
                    continue
                problems += check_block(nested["block"], item, f"{where}.{key}[{i}]")
        else:
            problems.append(f"{where}.{key}: no such attribute or block (known: {', '.join(sorted([*attrs, *blocks]))})")
    for key, spec in attrs.items():
        if spec.get("required") and key not in values:
            problems.append(f"{where}.{key}: required attribute missing")
    for key, nested in blocks.items():
        if nested.get("min_items") and len(values.get(key, [])) < nested["min_items"]:
            problems.append(f"{where}.{key}: at least {nested['min_items']} block(s) required")
    return problems


SECTIONS = (("resource", "resource_schemas"), ("data", "data_source_schemas"), ("ephemeral", "ephemeral_resource_schemas"))


def schema_problems(out: Path, aws_schema: dict, seen_types: set[str] | None = None, stacks: Iterable[str] | None = None) -> list[str]:
    """Every problem of the stacks under ``out/terraform/stacks`` (all, or those named) against the provider schema;
    ``seen_types`` collects ``resource.aws_vpc``-style names of what was checked."""
    problems: list[str] = []
    seen_types = set() if seen_types is None else seen_types
    root = out / "terraform" / "stacks"
    names = sorted(p.name for p in root.iterdir()) if stacks is None else sorted(stacks)
    for name in names:
        stack = json.loads((root / name / "cdk.tf.json").read_text())
        for kind, section in SECTIONS:
            for type_, items in stack.get(kind, {}).items():
                seen_types.add(f"{kind}.{type_}")
                if type_ not in aws_schema[section]:
                    problems.append(f"{name}: {kind} type {type_} does not exist")
                    continue
                for logical, values in items.items():
                    problems += check_block(aws_schema[section][type_]["block"], values, f"{name}: {type_}.{logical}")
        for provider in stack["provider"]["aws"]:
            problems += check_block(aws_schema["provider"]["block"], provider, f"{name}: provider.aws")
    return problems
