"""The construct tree of the GitOps constructs, in plain Python.

The GitOps constructs only need a tree: ids, paths, parents, children in order. jsii's
``constructs.Construct`` holds that tree in a Node.js runtime, so rendering Kubernetes YAML
started one (two processes, about 120 MiB at 100 to 300 tenants) and made every ``node.path``,
``node.find_all()`` and construct creation a round trip between the processes (docs/performance.md).
:class:`Construct` keeps what the GitOps tree uses of constructs 10.x (read at 10.7.2, in the
range pyproject.toml allows), with its semantics: an id is unique in its scope, ``/`` (the path
separator) and a line break in an id read as ``--``, only a root has an empty id, a path is the ids from
below the root joined by ``/`` (a root's path is its own id, ``""`` for the tree's hidden root),
children are listed in the order a JavaScript object lists its keys (ids that are array indices,
``"0"`` to ``"4294967294"``, first in numeric order, then the others as they were added), and
``find_all`` lists a construct then each child's subtree, pre-order.

A GitOps tree is its own root: a jsii construct (a cdktf App or stack) is refused as a scope,
since nothing on the cdktf side reads the tree (``GitOpsTree.synth()`` writes it) and holding it
there would bring the Node.js runtime back."""

from __future__ import annotations

from collections.abc import Iterator

PATH_SEP = "/"
_MAX_ARRAY_INDEX = 2**32 - 2  # a JavaScript array index (what Object.values lists first, in numeric order)


class ConstructError(ValueError):
    """A construct refused its props: the message names the construct, the value and the fix
    (``tree_base`` exports it, where every construct's checks raise it)."""

    def __init__(self, construct: str, message: str, fix: str):
        super().__init__(f"{construct}: {message}; {fix}")
        self.construct, self.message, self.fix = construct, message, fix


class ConstructIdError(ConstructError, RuntimeError):
    """An id its scope cannot take (taken already, or empty below a root). A :class:`ConstructError`
    like every refusal of a GitOps construct, and a RuntimeError as the jsii constructs raised."""


def sanitize_id(id: str) -> str:
    """constructs' own rule: the separators of a path (``/``) and of an address (a line break)
    read as ``--``, so one id never looks like several."""
    return id.replace(PATH_SEP, "--").replace("\n", "--")


def _is_array_index(key: str) -> bool:
    return key.isdigit() and key.isascii() and (key == "0" or key[0] != "0") and int(key) <= _MAX_ARRAY_INDEX


class Node:
    """A construct's place in the tree (``construct.node``)."""

    __slots__ = ("host", "id", "path", "scope", "_children", "_indexed")

    def __init__(self, host: Construct, scope: Construct | None, id: str):
        self.host = host
        self.id = sanitize_id(id)
        self.scope = scope
        self._children: dict[str, Construct] = {}
        self._indexed = False  # a child's id is an array index: children are not in insertion order
        if scope is None:
            self.path = self.id
            return
        if not self.id:
            raise ConstructIdError(f"{type(host).__name__} under {scope.node.path or '<root>'}", "Only root constructs may have an empty ID", "give the construct an id")
        scope.node._add_child(host, self.id)
        self.path = f"{scope.node.path}{PATH_SEP}{self.id}" if scope.node.path else self.id

    def _add_child(self, child: Construct, id: str) -> None:
        if id in self._children:
            where = f"{type(self.host).__name__}{f' [{self.id}]' if self.id else ''}"
            path = f"{self.path}{PATH_SEP}{id}" if self.path else id
            raise ConstructIdError(path, f"There is already a Construct with name '{id}' in {where}", "give each construct of one scope its own id")
        self._children[id] = child
        self._indexed = self._indexed or _is_array_index(id)

    @property
    def children(self) -> list[Construct]:
        """The direct children, in constructs' order (see the module's docstring)."""
        if not self._indexed:
            return list(self._children.values())
        indices = sorted((k for k in self._children if _is_array_index(k)), key=int)
        return [self._children[k] for k in indices] + [c for k, c in self._children.items() if not _is_array_index(k)]

    def try_find_child(self, id: str) -> Construct | None:
        return self._children.get(sanitize_id(id))

    def find_all(self) -> list[Construct]:
        """This construct and every construct below it, pre-order (constructs' default order)."""
        return list(self._walk())

    def _walk(self) -> Iterator[Construct]:
        stack = [self.host]
        while stack:
            c = stack.pop()
            yield c
            stack.extend(reversed(c.node.children))


class Construct:
    """A construct of a GitOps tree: ``Construct(scope, id)`` adds it under ``scope`` (None: a root).
    Subclass it to group constructs of a tree under a scope of your own."""

    def __init__(self, scope: Construct | None, id: str):
        check_scope(f"{type(self).__name__} {id!r}", scope)
        if not isinstance(id, str):
            raise TypeError(f"{type(self).__name__}: id must be a str, got {type(id).__name__}")
        self.node = Node(self, scope, id)


def check_scope(construct: str, scope: object) -> None:
    """Refuse a scope that is not a construct of a GitOps tree (a jsii construct above all)."""
    if scope is not None and not isinstance(scope, Construct):
        kind = f"{type(scope).__module__}.{type(scope).__qualname__}"
        raise ConstructError(
            construct,
            f"scope is a {kind}, not a construct of a GitOps tree (the GitOps tree is its own root, outside any cdktf app)",
            "create the tree with GitOpsTree(None, id, ...) and compose its constructs under it",
        )
