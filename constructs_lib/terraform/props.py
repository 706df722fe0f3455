"""What the L2 constructs share about their props: the error they raise, the references they take
instead of IDs, the account and region they read from their stack, and each prop's documented default.

Props are frozen keyword-only dataclasses; every field that has a default documents it, and why,
in the docstring under it (aws-cdk's ``@default``). :func:`prop_docs` reads those docstrings, so
``infraplan explain`` shows a construct's own defaults with the same words as the code.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import re
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol, runtime_checkable

from constructs import Construct

from ..resolve import names
from .aws import AwsProvider
from .engine import cdktf


class ConstructPropsError(ValueError):
    """A construct refused a prop: which construct, which prop, the value, what is wrong, the fix."""

    def __init__(self, construct: str, prop: str, value: Any, problem: str, fix: str):
        self.construct, self.prop, self.value, self.problem, self.fix = construct, prop, value, problem, fix
        super().__init__(f"{construct}: {prop}={value!r}: {problem}; fix: {fix}")


# --- references ------------------------------------------------------------------------------------


@runtime_checkable
class SecurityGroupSource(Protocol):
    """Anything whose security group may be admitted by another construct (a Cluster: the EKS
    cluster security group its nodes use; :class:`SecurityGroupPeer` for a group made elsewhere)."""

    @property
    def security_group_id(self) -> str: ...

    @property
    def peer_key(self) -> str:
        """Short and unique among a construct's peers: names the rule (``from_<key>``)."""
        ...

    @property
    def peer_description(self) -> str:
        """Words for the rule's description (``PostgreSQL from <description>``)."""
        ...


@dataclass(frozen=True)
class SecurityGroupPeer:
    """Escape hatch: a security group that no construct of this library made (a bastion's, say)."""

    key: str
    security_group_id: str
    description: str = "a security group"

    @property
    def peer_key(self) -> str:
        return self.key

    @property
    def peer_description(self) -> str:
        return self.description


@runtime_checkable
class DatabaseNetworkSource(Protocol):
    """Where a database lives: a :class:`~constructs_lib.terraform.network.Network`, or
    :class:`ExistingNetwork` for a VPC made elsewhere."""

    @property
    def vpc_id(self) -> str: ...

    @property
    def database_subnet_group_name(self) -> str: ...


@runtime_checkable
class ClusterNetworkSource(Protocol):
    """Where a cluster lives: a Network, or :class:`ExistingNetwork`."""

    @property
    def vpc_id(self) -> str: ...

    @property
    def vpc_cidr(self) -> str: ...

    @property
    def private_subnet_ids(self) -> list[str]: ...


@dataclass(frozen=True)
class ExistingNetwork:
    """Escape hatch: a VPC that no Network construct of this stack made, by its IDs."""

    vpc_id: str
    vpc_cidr: str = ""
    private_subnet_ids: tuple[str, ...] = ()
    database_subnet_group_name: str = ""


# --- the stack's account and region --------------------------------------------------------------


def stack_provider_setting(scope: Construct, setting: str) -> str | None:
    """``region`` or ``account_id`` of the stack's one default ``aws`` provider (its single
    ``allowed_account_ids``), or None when the stack has none, several, or it is not set."""
    stack = cdktf.TerraformStack.of(scope)
    providers = [c for c in stack.node.children if isinstance(c, AwsProvider) and not c.attributes.get("alias")]
    if len(providers) != 1:
        return None
    attributes = providers[0].attributes
    if setting == "region":
        region = attributes.get("region")
        return region if isinstance(region, str) else None
    accounts = attributes.get("allowed_account_ids") or []
    return accounts[0] if len(accounts) == 1 and isinstance(accounts[0], str) else None


ACCOUNT_ID = re.compile(r"^\d{12}$")
REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")


def account_and_region(scope: Construct, construct: str, account_id: str | None, region: str | None) -> tuple[str, str]:
    """The props' account and region, or the stack's provider's; refused when neither says."""
    account = account_id or stack_provider_setting(scope, "account_id")
    if account is None:
        raise ConstructPropsError(
            construct, "account_id", None, "no account given and the stack has no aws provider with one allowed_account_ids",
            "pass account_id='123456789012', or add AwsProvider(stack, 'aws', region=..., allowed_account_ids=[<account>]) first",
        )
    if not ACCOUNT_ID.match(account):
        raise ConstructPropsError(construct, "account_id", account, "an AWS account ID is 12 digits", "pass the 12-digit account ID")
    where = region or stack_provider_setting(scope, "region")
    if where is None:
        raise ConstructPropsError(
            construct, "region", None, "no region given and the stack has no aws provider with a region", "pass region='eu-west-1', or add the stack's AwsProvider first"
        )
    if not REGION.match(where):
        raise ConstructPropsError(construct, "region", where, "not an AWS region name", "pass a region such as eu-west-1")
    if (partition := names.partition_of(where)) != names.PARTITION:
        raise ConstructPropsError(
            construct, "region", where, f"a region of the {partition} partition; infraplan writes arn:{names.PARTITION}: ARNs (resolve/names.py)",
            f"use a region of the {names.PARTITION} partition, such as eu-west-1",
        )
    return account, where


# --- where a construct is, without asking constructs ----------------------------------------------

_NODE_PATH = "_infraplan_node_path"


def node_path(construct: Construct) -> str:
    """``construct.node.path``, asked of constructs at most once per construct (``node`` and
    ``path`` are two jsii round trips): a path never changes. Never asked of a construct
    :func:`remember_path` was told about (infraplan's stacks and L2 constructs)."""
    known = construct.__dict__.get(_NODE_PATH)
    if known is None:
        known = construct.__dict__[_NODE_PATH] = construct.node.path
    return known


def node_id(construct: Construct) -> str:
    """``construct.node.id``: the last part of its path (an id holds no separator, see :func:`child_path`)."""
    return node_path(construct).rpartition("/")[2]


def child_path(scope: Construct, id: str) -> str:
    """The path ``constructs`` gives a construct made as ``(scope, id)``: the scope's path, ``/``, and the id
    with each separator (``/``, newline) written ``--``, as constructs' sanitizeId does; the root's path is ``""``."""
    id = id.replace("/", "--").replace("\n", "--")
    parent = node_path(scope)
    return f"{parent}/{id}" if parent else id


def remember_path(construct: Construct, path: str) -> None:
    """Tells :func:`node_path` the path of a construct just made (``child_path(scope, id)``)."""
    construct.__dict__[_NODE_PATH] = path


class ConstructName(str):
    """How errors name a construct (``Database 'stack/db'``), knowing its kind and path."""

    kind: str
    path: str

    def __new__(cls, kind: str, path: str) -> ConstructName:
        name = super().__new__(cls, f"{kind} '{path}'")
        name.kind, name.path = kind, path
        return name

    @property
    def id(self) -> str:
        """The construct's id (``node.id``), the last part of its path."""
        return self.path.rpartition("/")[2]


def construct_path(scope: Construct, id: str, kind: str) -> str:
    """How errors name a construct: ``Database 'stack/db'`` (a :class:`ConstructName`). The scope's path
    is asked of constructs at most once (:func:`node_path`)."""
    return ConstructName(kind, child_path(scope, id))


def props_from(props_class: type, props: Any, kwargs: dict[str, Any], construct: str) -> Any:
    """The props object: the one given, or one built from keyword arguments (not both).
    Inside :func:`recording_props`, also which props the caller gave."""
    built = _props_from(props_class, props, kwargs, construct)
    record = _RECORD.get()
    if record is not None and isinstance(construct, ConstructName):
        given = frozenset(f.name for f in dataclasses.fields(props_class)) if props is not None else frozenset(kwargs)
        record.append(BuiltProps(construct.kind, construct.path, built, given))
    return built


def _props_from(props_class: type, props: Any, kwargs: dict[str, Any], construct: str) -> Any:
    if props is not None and kwargs:
        raise ConstructPropsError(construct, "props", sorted(kwargs), "give a props object or keyword arguments, not both", f"move {', '.join(sorted(kwargs))} into the {props_class.__name__}")
    if props is not None:
        if not isinstance(props, props_class):
            raise ConstructPropsError(construct, "props", type(props).__name__, f"expected {props_class.__name__}", f"pass {props_class.__name__}(...) or keyword arguments")
        return props
    known = {f.name for f in dataclasses.fields(props_class)}
    unknown = sorted(set(kwargs) - known)
    if unknown:
        raise ConstructPropsError(construct, unknown[0], kwargs[unknown[0]], f"{props_class.__name__} has no such prop", f"props are: {', '.join(sorted(known))}")
    try:
        return props_class(**kwargs)
    except TypeError as e:  # a required prop left out
        raise ConstructPropsError(construct, "props", sorted(kwargs), str(e), f"pass every required prop of {props_class.__name__}") from None


# --- documented defaults --------------------------------------------------------------------------


@cache
def prop_docs(props_class: type) -> dict[str, str]:
    """Each field's docstring (the string literal right under it), by field name."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(props_class)))
    body = tree.body[0].body  # type: ignore[attr-defined]
    docs: dict[str, str] = {}
    for node, after in zip(body, body[1:]):
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant) and isinstance(after.value.value, str):
            docs[node.target.id] = " ".join(inspect.cleandoc(after.value.value).split())
    return docs


@dataclass(frozen=True)
class BuiltProps:
    """The props one construct was built with, and which of them its caller gave (a props object
    counts as giving them all): the rest are the construct's own defaults."""

    kind: str  # the construct's class: Cluster, Database, ...
    path: str  # its construct path: <stack>/<id>
    props: Any
    given: frozenset[str]


_RECORD: ContextVar[list[BuiltProps] | None] = ContextVar("infraplan_built_props", default=None)


@contextmanager
def recording_props() -> Iterator[list[BuiltProps]]:
    """Collects the props of every L2 construct built inside it (``infraplan explain`` builds the
    stacks so, to show what each construct was left to decide, exactly as synth builds them)."""
    built: list[BuiltProps] = []
    token = _RECORD.set(built)
    try:
        yield built
    finally:
        _RECORD.reset(token)


def defaults_left(props: Any, given: set[str]) -> list[tuple[str, Any, str]]:
    """(prop, value, docstring) of every prop with a default that ``given`` does not name."""
    docs = prop_docs(type(props))
    out = []
    for f in dataclasses.fields(props):
        if f.name in given or (f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING):
            continue
        out.append((f.name, getattr(props, f.name), docs.get(f.name, "")))
    return out
