"""IPv4 ranges: CIDR blocks as the plan writes them, a VPC's range, and the sources the EKS API
endpoints admit (public ranges for the public endpoint, private ones for the private endpoint)."""

from __future__ import annotations

import ipaddress

from ..plan.errors import FieldValueError
from .characters import not_ascii_error

RFC1918 = tuple(ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
CGNAT = ipaddress.IPv4Network("100.64.0.0/10")  # VPN clients are often numbered here
_THIS_NETWORK = ipaddress.IPv4Network("0.0.0.0/8")
PUBLIC_CIDRS_MAX = 40  # EKS quota "public endpoint access CIDR ranges per cluster"
PUBLIC_ADDRESSES_MAX = 2**24  # one /8: more than that is not an allow-list


def parse_ipv4_cidr(value: str) -> ipaddress.IPv4Network:
    """An IPv4 CIDR block written as a.b.c.d/n with no host bits; FieldValueError (path ``()``) otherwise."""
    if not value.isascii():
        raise not_ascii_error(value, "a CIDR block", "type it again in ASCII, e.g. 203.0.113.0/24")
    if "/" not in value:
        raise FieldValueError((), f"'{value}' has no prefix length", f"write a CIDR block such as {value}/32")
    try:
        net = ipaddress.ip_network(value, strict=True)
    except ValueError:
        try:
            loose = ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise FieldValueError((), f"'{value}' is not an IPv4 CIDR block", "write it as a.b.c.d/n, e.g. 10.0.0.0/16") from None
        raise FieldValueError((), f"'{value}' has host bits set; did you mean {loose}?", f"a CIDR block is written with its network address: {loose}") from None
    if net.version != 4:
        raise FieldValueError((), f"'{value}' is IPv6", "write an IPv4 CIDR block")
    assert isinstance(net, ipaddress.IPv4Network)
    return net


def check_public_cidrs(values: list[str]) -> list[str]:
    """The public API endpoint's allow-list: internet ranges only, and all of them together a small part of it."""
    if len(values) > PUBLIC_CIDRS_MAX:
        raise FieldValueError((), f"{len(values)} ranges; EKS allows at most {PUBLIC_CIDRS_MAX} on a public endpoint", "merge adjacent ranges")
    nets = []
    for i, value in enumerate(values):
        try:
            net = parse_ipv4_cidr(value)
        except FieldValueError as exc:
            raise FieldValueError((i,), exc.message, exc.hint) from None
        if net.prefixlen < 8:
            raise FieldValueError(
                (i,),
                f"{net} is a /{net.prefixlen}: {net.num_addresses:,} addresses, {_share(net.num_addresses)} of the internet, may reach the Kubernetes API",
                "list your office or VPN ranges; no prefix shorter than /8 is accepted",
            )
        if not net.is_global:
            raise FieldValueError(
                (i,),
                f"{net} is not an internet range (private, shared, loopback, link-local, documentation or reserved space)",
                "the public endpoint is reached from the internet, so only public ranges mean anything here; the private endpoint already serves the VPC",
            )
        nets.append(net)
    total = sum(n.num_addresses for n in ipaddress.collapse_addresses(nets))
    if total > PUBLIC_ADDRESSES_MAX:
        raise FieldValueError(
            (),
            f"together these ranges admit {total:,} addresses ({_share(total)} of the internet) to the Kubernetes API",
            f"the union of public_access_cidrs may cover at most one /8 ({PUBLIC_ADDRESSES_MAX:,} addresses): list only the ranges that need access",
        )
    return values


def _share(addresses: int) -> str:
    return f"{addresses / 2**32:.2%}"


def check_cidr(value: str, *, min_prefix: int = 16, max_prefix: int = 20) -> str:
    """A VPC's primary CIDR: IPv4, RFC 1918, /16 to /20 so that the subnet tiers fit."""
    net = parse_ipv4_cidr(value)
    if not (min_prefix <= net.prefixlen <= max_prefix):
        raise FieldValueError(
            (),
            f"'{value}' is a /{net.prefixlen}; a VPC CIDR here is /{min_prefix} to /{max_prefix} so that the subnet tiers fit",
            f"e.g. {net.supernet(new_prefix=min_prefix) if net.prefixlen > min_prefix else next(net.subnets(new_prefix=min_prefix))}",
        )
    if not any(net.subnet_of(r) for r in RFC1918):
        kind = (
            "link-local (169.254.0.0/16)" if net.is_link_local
            else "loopback (127.0.0.0/8)" if net.is_loopback
            else "shared address space for carrier-grade NAT (100.64.0.0/10)" if net.subnet_of(CGNAT)
            else "reserved" if net.is_reserved or net.is_unspecified or net.is_multicast or net.subnet_of(_THIS_NETWORK)
            else "public" if net.is_global
            else "special-purpose"
        )  # fmt: skip
        raise FieldValueError(
            (),
            f"'{value}' is {kind} address space, not a private range",
            "a VPC CIDR lies in RFC 1918 space: 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 (e.g. 10.40.0.0/16)",
        )
    return str(net)


def check_private_cidr(i: int, value: str) -> str:
    """Entry ``i`` of the private API endpoint's sources: a private range (RFC 1918 or 100.64.0.0/10)."""
    try:
        net = parse_ipv4_cidr(value)
    except FieldValueError as exc:
        raise FieldValueError((i,), exc.message, exc.hint) from None
    if not any(net.subnet_of(r) for r in (*RFC1918, CGNAT)):
        raise FieldValueError(
            (i,),
            f"{net} is not a private range: the private API endpoint is reached only from the VPC and networks routed to it",
            "list private ranges (RFC 1918 or 100.64.0.0/10: the VPC, a peered VPC, a VPN); for addresses on the internet use "
            "cluster.endpoint_public_access with public_access_cidrs instead",
        )
    return str(net)
