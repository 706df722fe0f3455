"""DNS names as Route 53 and Ingress hosts take them."""

from __future__ import annotations

import re

from ..plan.errors import FieldValueError

_DNS_NAME_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
DNS_NAME_MAX = 253  # RFC 1035, without the final dot


def check_dns_name(value: str, *, min_labels: int = 1) -> str:
    """A DNS name as Route 53 and Ingress hosts take it: lowercase labels of 1..63 letters,
    digits and hyphens (no wildcard, no final dot), 253 characters at most."""
    labels = value.split(".")
    bad = next((label for label in labels if not _DNS_NAME_LABEL.match(label)), None)
    if bad is not None:
        raise FieldValueError(
            (),
            f"'{value}' is not a DNS name: label '{bad}' " + ("is empty" if not bad else "is not 1 to 63 lowercase letters, digits and inner hyphens"),
            "e.g. dev.acme.example.com (lowercase, no final dot, no wildcard)",
        )
    if len(value) > DNS_NAME_MAX:
        raise FieldValueError((), f"'{value}' has {len(value)} characters; a DNS name has at most {DNS_NAME_MAX}", "choose a shorter name")
    if len(labels) < min_labels:
        raise FieldValueError((), f"'{value}' has {len(labels)} label(s); a domain here has at least {min_labels}", "e.g. dev.acme.example.com, a subdomain of a domain you own")
    return value
