"""The output folder of ``infraplan synth``: what may be replaced, and how.

Rules, in the order they are checked:

- ``--out`` must not hold the plan or any other input (the plan folder, an extension's
  file), and must not lie inside the plan folder.
- An existing ``--out`` is replaced only when infraplan wrote it: it carries the marker
  file ``.infraplan-output``, which lists every file the run wrote and, per environment,
  the folders (stacks, cluster trees) its files are in, so that a ``--env`` run replaces
  only its environments' files and keeps the others'.
- infraplan never deletes a file it did not write. Files that others put into the
  output (``terraform init``'s ``.terraform/`` and ``.terraform.lock.hcl``, a saved
  plan) are kept: they are hard-linked into the new tree at the same place. When
  their folder no longer exists in the new tree, or they are Terraform state, the
  run is refused and lists them (state belongs outside the output; see
  ``StateStackProps.local_state_path``).
- The new tree is built in a staging folder beside ``--out``; the files that did not
  change are hard links to the old ones (same inode, mtime and bytes; see
  :mod:`stacks.output_changes`). When nothing changed, nothing is swapped or written.
  Otherwise the staging folder is swapped in with one ``renameat2(RENAME_EXCHANGE)``,
  so at every instant ``--out`` is either the old tree or the new one. Where the kernel
  or filesystem cannot exchange, two renames are used, and the next run restores the
  old tree if a kill fell between them.
- Staging folders of runs that were killed (their PID is gone) are removed at the next
  run; so are the private temporary folders the cdktf runtime (jsii) used.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import shutil
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

OUTPUT_MARKER = ".infraplan-output"
_MARKER_NOTE = (
    "Written by `infraplan synth`, which owns the files listed here and no other; environments: "
    "the folders each environment's files are in (a --env run replaces only its environments' files)"
)
_STAGING = ".infraplan-staging"
_OLD = ".infraplan-old"
_LEGACY_GENERATED = ("terraform/manifest.json", "kubernetes/")  # what a marker without a file list covered
_FOREIGN_LISTED = 20


class OutputDirError(Exception):
    """The output folder cannot be written or replaced; nothing was changed."""


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def check_inputs(out: Path, inputs: Iterable[tuple[str, Path]]) -> None:
    """Refuse an ``out`` that holds an input, or that lies inside the plan folder."""
    out = out.resolve()
    for label, path in inputs:
        path = path.resolve()
        if _inside(path, out):
            raise OutputDirError(
                f"--out {out} contains the {label} {path}; synth replaces --out as a whole and would delete it "
                "(choose an --out outside the plan, e.g. dist)"
            )
        if label == "plan folder" and _inside(out, path):
            raise OutputDirError(f"--out {out} lies inside the plan folder {path}; choose an --out outside the plan")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _staging_pid(name: str, prefix: str) -> int | None:
    rest = name[len(prefix) :].lstrip("-")
    head = rest.split("-", 1)[0]
    return int(head) if head.isdigit() else None


def cleanup_stale(out: Path) -> list[Path]:
    """Remove what killed runs left beside ``out``; restore ``out`` if a kill fell between
    the two renames of the fallback swap. Only folders named by infraplan whose PID is gone."""
    removed: list[Path] = []
    parent = out.parent
    if not parent.is_dir():
        return removed
    prefix_staging = f".{out.name}{_STAGING}"
    prefix_old = f".{out.name}{_OLD}"
    for entry in sorted(parent.iterdir()):
        for prefix in (prefix_staging, prefix_old):
            if not entry.name.startswith(prefix):
                continue
            pid = _staging_pid(entry.name, prefix)
            if pid is None or _pid_alive(pid) or entry.is_symlink() or not entry.is_dir():
                continue
            if prefix == prefix_old and not os.path.lexists(out) and (entry / "tree" / OUTPUT_MARKER).is_file():
                os.rename(entry / "tree", out)  # the fallback swap was killed between its renames
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


def private_tmpdir() -> Path:
    """A temporary folder for this run's Terraform worker (jsii unpacks the cdktf runtime into it), beside
    the other runs' folders so that those of killed runs can be removed."""
    base = Path(tempfile.gettempdir()) / f"infraplan-{os.getuid()}"
    base.mkdir(mode=0o700, exist_ok=True)
    st = os.lstat(base)
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or stat.S_IMODE(st.st_mode) & 0o022:
        # in a shared /tmp, someone else may have made it (or a symlink) first: do not use it
        raise OSError(f"{base} is not a private folder of this user")
    for entry in base.iterdir():
        pid = _staging_pid(entry.name, "run")
        if pid is not None and not _pid_alive(pid) and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
    run = Path(tempfile.mkdtemp(prefix=f"run-{os.getpid()}-", dir=base))
    return run


def new_staging(out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{out.name}{_STAGING}-{os.getpid()}-", dir=out.parent))


def _read_marker(out: Path) -> set[str] | None:
    """The files the previous run wrote, or None for a marker that lists none (older infraplan)."""
    try:
        text = (out / OUTPUT_MARKER).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return None
    files = data.get("files") if isinstance(data, dict) else None
    return set(files) if isinstance(files, list) else None


def read_environments(out: Path) -> dict[str, list[str]] | None:
    """Per environment, the folders its files are in (as the previous run recorded), or None for a
    marker without them (older infraplan): then a ``--env`` run cannot tell whose a file is."""
    try:
        data = json.loads((out / OUTPUT_MARKER).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    envs = data.get("environments") if isinstance(data, dict) else None
    if not isinstance(envs, dict) or not all(isinstance(v, list) for v in envs.values()):
        return None
    return {str(k): [str(p) for p in v] for k, v in envs.items()}


def owned_files(out: Path) -> set[str]:
    """The files of ``out`` infraplan wrote: the marker's list, or by the old layout rule for a marker
    that lists none. Empty when ``out`` is no output of infraplan's."""
    if not (out / OUTPUT_MARKER).is_file():
        return set()
    written = _read_marker(out)
    if written is not None:
        return written
    return {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file() and _is_generated(str(p.relative_to(out)), None)}


def staged_files(staging: Path) -> list[str]:
    """The files below ``staging`` but markers, relative and sorted: what ``rglob("*")`` and ``is_file()``
    give (symbolic links to files too; not inside linked folders; unreadable folders skipped), from one
    ``scandir`` per folder and its entries' types, without a ``stat`` per file."""
    found: list[str] = []
    _list_files(os.fspath(staging), "", found)
    found.sort()
    return found


def _list_files(folder: str, rel_folder: str, found: list[str]) -> None:
    try:
        with os.scandir(folder) as entries:
            listed = list(entries)
    except PermissionError:
        return
    for entry in listed:
        if entry.is_dir(follow_symlinks=False):
            _list_files(entry.path, f"{rel_folder}{entry.name}/", found)
        elif entry.name != OUTPUT_MARKER and entry.is_file():
            found.append(rel_folder + entry.name)


def write_marker(staging: Path, environments: dict[str, list[str]] | None = None, files: list[str] | None = None) -> list[str]:
    """Write the marker listing ``files`` (by default :func:`staged_files`, which a caller that just listed
    the staging folder passes instead of listing it again); returns that list."""
    if files is None:
        files = staged_files(staging)
    data: dict[str, object] = {"note": _MARKER_NOTE, "files": files}
    if environments is not None:
        data["environments"] = {env: sorted(set(folders)) for env, folders in sorted(environments.items())}
    (staging / OUTPUT_MARKER).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    return files


def _is_generated(rel: str, written: set[str] | None) -> bool:
    if written is not None:
        return rel in written
    if rel.startswith("terraform/stacks/") and rel.endswith("/cdk.tf.json") and rel.count("/") == 3:
        return True
    return rel.startswith(_LEGACY_GENERATED[1]) or rel == _LEGACY_GENERATED[0]


def foreign_entries(out: Path) -> list[str]:
    """Paths (relative to ``out``) that infraplan did not write: files, symlinks, and whole
    folders that hold no file infraplan wrote."""
    written = _read_marker(out)
    generated_dirs: set[str] = set()
    if written is not None:
        for rel in written:  # every folder above a written file; a folder already seen has its parents in too
            folder = rel.rpartition("/")[0]
            while folder and folder not in generated_dirs:
                generated_dirs.add(folder)
                folder = folder.rpartition("/")[0]
    found: list[str] = []

    def walk(folder: str, rel_folder: str) -> None:
        for entry in sorted(os.scandir(folder), key=_entry_name):
            rel = f"{rel_folder}{entry.name}"
            if rel == OUTPUT_MARKER:
                continue
            if entry.is_dir(follow_symlinks=False):
                ours = rel in generated_dirs if written is not None else rel.split("/")[0] in ("terraform", "kubernetes") and not _terraform_work(rel)
                if ours:
                    walk(entry.path, rel + "/")
                else:
                    found.append(rel + "/")
            elif not _is_generated(rel, written):
                found.append(rel)

    walk(os.fspath(out), "")
    return found


def _entry_name(entry: os.DirEntry[str]) -> str:
    return entry.name


def _terraform_work(rel: str) -> bool:
    return rel.rsplit("/", 1)[-1] == ".terraform"


def _is_state(rel: str) -> bool:
    name = rel.rstrip("/").rsplit("/", 1)[-1]
    return ".tfstate" in name and not rel.startswith(".terraform/") and "/.terraform/" not in f"/{rel}"


def check_foreign(out: Path, staging: Path) -> list[str]:
    """The foreign entries of ``out`` (see :func:`foreign_entries`), all of which the new tree in
    ``staging`` can keep.

    Raises OutputDirError (changing nothing in ``out``) for foreign Terraform state,
    for entries whose folder the new tree no longer has, and for ones that collide
    with a generated file."""
    foreign = foreign_entries(out)
    state = [rel for rel in foreign if _is_state(rel)]
    if state:
        raise OutputDirError(
            "the output folder holds Terraform state that infraplan did not write; state belongs outside the output "
            "(a later run that removes its folder would have to delete it):\n"
            + "\n".join(f"    {out / rel}" for rel in state[:_FOREIGN_LISTED])
            + "\n  Local state now lives outside the output (terraform.<stack>.tfstate beside --out, or --state-dir): "
            "move each file there, e.g. mv dist/terraform/stacks/dev-state/dev-state.tfstate terraform.dev-state.tfstate, "
            "then synthesize again"
        )
    orphans = [rel for rel in foreign if not (staging / rel.rstrip("/")).parent.is_dir() or (staging / rel.rstrip("/")).exists()]
    if orphans:
        more = f"\n    … and {len(orphans) - _FOREIGN_LISTED} more" if len(orphans) > _FOREIGN_LISTED else ""
        raise OutputDirError(
            f"{out} holds files infraplan did not write, whose folder the new output no longer has "
            "(or that a generated file would replace); refusing to delete them:\n"
            + "\n".join(f"    {out / rel}" for rel in orphans[:_FOREIGN_LISTED])
            + more
            + "\n  move them out of the output folder (or delete them yourself), then synthesize again"
        )
    return foreign


def carry_foreign(out: Path, staging: Path) -> list[str]:
    """Hard-link every foreign entry of ``out`` into ``staging`` at the same place (after
    :func:`check_foreign`'s refusals)."""
    foreign = check_foreign(out, staging)
    for rel in foreign:
        _link_tree(out / rel.rstrip("/"), staging / rel.rstrip("/"))
    return foreign


def _link_tree(src: Path, dst: Path) -> None:
    """Hard links for files, copies of symlinks, new folders: instant, and no data is moved."""
    st = os.lstat(src)
    if stat.S_ISLNK(st.st_mode):
        os.symlink(os.readlink(src), dst)
    elif stat.S_ISDIR(st.st_mode):
        os.mkdir(dst, stat.S_IMODE(st.st_mode) | 0o700)
        for entry in os.scandir(src):
            _link_tree(Path(entry.path), dst / entry.name)
        os.chmod(dst, stat.S_IMODE(st.st_mode))
    elif stat.S_ISREG(st.st_mode):
        os.link(src, dst)
    else:
        raise OutputDirError(f"{src} is not a file, folder or symlink (a FIFO or device?); move it out of the output folder")


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2). False where the system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def swap_in(staging: Path, out: Path) -> None:
    """Put ``staging`` at ``out``; the old tree is removed once the new one is in place."""
    if not os.path.lexists(out):
        os.rename(staging, out)
        return
    if _exchange(staging, out):
        shutil.rmtree(staging, ignore_errors=True)  # staging now holds the old tree
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}{_OLD}-{os.getpid()}-", dir=out.parent)) / "tree"
    # Fallback: a kill between these two renames leaves the old tree in `old`; cleanup_stale restores it.
    os.rename(out, old)
    os.rename(staging, out)
    shutil.rmtree(old.parent, ignore_errors=True)


def check_replaceable(out: Path) -> None:
    if os.path.islink(out):
        raise OutputDirError(f"{out} is a symbolic link; refusing to replace it (pass the folder it points to, or another --out)")
    if not os.path.lexists(out):
        return
    if not out.is_dir():
        raise OutputDirError(f"{out} exists and is not a folder; refusing to replace it (choose another --out)")
    if (out / OUTPUT_MARKER).is_file():
        return
    if any(out.iterdir()):
        raise OutputDirError(f"{out} exists and was not written by infraplan; refusing to replace it (choose another --out or remove it)")
