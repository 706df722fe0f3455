"""How ArgoCD authenticates to the GitOps repository (``gitops.repository_auth``).

The credential itself is never in the plan or in Git: the Pulumi bootstrap reads it from
secret stack config (docs/gitops.md, "A private GitOps repository"). Here only what the
plan can decide: which kind of credential, and whether ArgoCD can trust the SSH host.
"""

from __future__ import annotations

import re

# The hosts whose keys the argo-cd chart puts into argocd-ssh-known-hosts-cm by default
# (values.yaml ``configs.ssh.knownHosts`` of 8.1.3, as known_hosts host fields). For any
# other SSH host ArgoCD refuses the connection unless the plan adds the host's key.
ARGOCD_KNOWN_SSH_HOSTS = frozenset({"github.com", "[ssh.github.com]:443", "gitlab.com", "bitbucket.org", "ssh.dev.azure.com", "vs-ssh.visualstudio.com"})

_SCP_LIKE = re.compile(r"^[^@/]+@(?P<host>[^:/]+):")  # git@github.com:acme/repo.git
_SSH_URL = re.compile(r"^ssh://(?:[^@/]+@)?(?P<host>[^:/]+)(?::(?P<port>[0-9]+))?/")


def ssh_known_hosts_name(url: str) -> str | None:
    """The name ``url``'s host has in a known_hosts file (``host``, or ``[host]:port`` off port 22); None if not an SSH URL."""
    m = _SCP_LIKE.match(url)
    if m:
        return m.group("host").lower()
    m = _SSH_URL.match(url)
    if m:
        host, port = m.group("host").lower(), m.group("port")
        return host if port in (None, "22") else f"[{host}]:{port}"
    return None


def known_hosts_names(known_hosts: str) -> set[str]:
    """The host names of a known_hosts text (first field of each line, comma-separated aliases)."""
    names: set[str] = set()
    for line in known_hosts.splitlines():
        fields = line.split()
        if fields and not fields[0].startswith("#"):
            names |= {n.lower() for n in fields[0].split(",")}
    return names


def keyscan(known_hosts_name: str) -> str:
    """The command that prints the host keys of ``host`` or ``[host]:port``, as known_hosts lines."""
    if known_hosts_name.startswith("["):
        host, port = known_hosts_name[1:].split("]:")
        return f"ssh-keyscan -p {port} {host}"
    return f"ssh-keyscan {known_hosts_name}"
