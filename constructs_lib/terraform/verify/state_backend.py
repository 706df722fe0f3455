"""The live check of what a :class:`~constructs_lib.terraform.state_backend.StateBackend` holds:
each stack's state object, encrypted with the state bucket's own key."""

from __future__ import annotations

from ...resolve.model import ResolvedStateBackend
from .base import Clients, Difference


def check_state(aws: Clients, states: list[ResolvedStateBackend]) -> list[Difference]:
    """Each stack's state object exists and is SSE-KMS with the state bucket's own key (HeadObject:
    S3 reports the key's ARN; a backend that named it by alias may be reported so by a local API)."""
    s3, kms = aws("s3"), aws("kms")
    out: list[Difference] = []
    for st in states:
        where = f"state s3://{st.bucket}/{st.key}"
        try:
            expected = {st.kms_key_id, kms.describe_key(KeyId=st.kms_key_id)["KeyMetadata"]["Arn"]}
        except kms.exceptions.NotFoundException:
            expected = {st.kms_key_id}
        try:
            head = s3.head_object(Bucket=st.bucket, Key=st.key)
        except s3.exceptions.ClientError as e:
            if e.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey", "NoSuchBucket"):
                raise
            out.append(Difference(where, "exists", True, False))
            continue
        if head.get("ServerSideEncryption") != "aws:kms" or head.get("SSEKMSKeyId") not in expected:
            out.append(Difference(where, "encryption", f"aws:kms with {st.kms_key_id}", f"{head.get('ServerSideEncryption')} with {head.get('SSEKMSKeyId')}"))
    return out
