"""Patterns checked on both sides: by the models when a file or an override is read, and by the
generated modules' variable validations (Terraform's RE2), so what one accepts the other accepts.

Each is written in the regular-expression syntax Python and RE2 share; ``hcl_regex`` quotes one
for a Terraform expression.
"""

from __future__ import annotations

import json
import re

# A tag as Docker defines it; `latest` is refused wherever a tag is read (it pins nothing).
IMAGE_TAG = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
_DIGEST = r"@sha256:[a-f0-9]{64}"
# [registry[:port]/]path[/path...] then a tag, a digest, or both (repo:1.4.0@sha256:...).
IMAGE_RULE = rf"^[^\s:@/]+(:[0-9]+)?(/[^\s:@/]+)*(:{IMAGE_TAG}|{_DIGEST}|:{IMAGE_TAG}{_DIGEST})$"
GCP_PROJECT_ID_RULE = r"^[a-z][-a-z0-9]{4,28}[a-z0-9]$"
# A Cloud KMS key (not a key version): the volumes' key of a GKE platform.
GCP_KMS_KEY_ID_RULE = r"^projects/[^/]+/locations/[^/]+/keyRings/[-_a-zA-Z0-9]{1,63}/cryptoKeys/[-_a-zA-Z0-9]{1,63}$"
# An Azure disk encryption set (Resource Manager segments are case-insensitive): an AKS platform's volumes.
AZURE_DISK_ENCRYPTION_SET_ID_RULE = (
    r"(?i)^/subscriptions/[-0-9a-f]{36}/resourceGroups/[^/]+/providers/Microsoft[.]Compute/diskEncryptionSets/[^/]+$"
)
# An address alerts can be sent to: a domain with a dot (Cloud Monitoring and Azure refuse others).
EMAIL_RULE = r"^[^@\s]+@[^@\s]+[.][^@\s]+$"


def pinned_image(value: str) -> bool:
    """An image reference with an explicit tag or digest, never ``:latest``."""
    return re.fullmatch(IMAGE_RULE, value) is not None and not value.endswith(":latest")


def pinned_tag(value: str) -> bool:
    return re.fullmatch(IMAGE_TAG, value) is not None and value != "latest"


def hcl_regex(rule: str) -> str:
    """``rule`` as a quoted Terraform string, for ``regex(<here>, ...)`` inside an expression."""
    return json.dumps(rule)
