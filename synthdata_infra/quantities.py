"""Parsing of the quantity strings profiles use (Kubernetes CPU/memory, bandwidth, durations).

Profiles keep quantities as the strings a Kubernetes user writes (``16Gi``, ``500m``), because
those strings go verbatim into the generated manifests; these helpers turn them into numbers
for placement and comparisons.
"""

from __future__ import annotations

import re

_CPU = re.compile(r"^(?P<num>\d+(?:\.\d+)?)(?P<milli>m?)$")
_MEMORY = re.compile(r"^(?P<num>\d+(?:\.\d+)?)(?P<unit>Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$")
_BANDWIDTH = re.compile(r"^(?P<num>\d+(?:\.\d+)?)(?P<unit>Mbps|Gbps)$")
# Prometheus' duration syntax (model.ParseDuration): units from the largest down, each at most once
# (``1h30m``, never ``30m1h``). No milliseconds: nothing configured here is shorter than a second.
_DURATION = re.compile(r"^(?:(?P<y>\d+)y)?(?:(?P<w>\d+)w)?(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?(?:(?P<s>\d+)s)?$")

_MEMORY_BYTES = {
    None: 1,
    "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15,
    "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50,
}
_DURATION_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "y": 365 * 86400}

CPU_HINT = "expected a Kubernetes CPU quantity such as 500m, 2 or 4.5"
MEMORY_HINT = "expected a Kubernetes memory quantity such as 512Mi, 16Gi or 1Ti"
BANDWIDTH_HINT = "expected a bandwidth such as 500Mbps or 10Gbps"
DURATION_HINT = "expected a Prometheus duration such as 12h, 30d or 1y"


def cpu_cores(quantity: str) -> float:
    """``"500m"`` -> 0.5, ``"4"`` -> 4.0."""
    match = _CPU.match(quantity)
    if not match:
        raise ValueError(CPU_HINT)
    value = float(match["num"])
    return value / 1000 if match["milli"] else value


def memory_bytes(quantity: str) -> int:
    """``"16Gi"`` -> 17179869184."""
    match = _MEMORY.match(quantity)
    if not match:
        raise ValueError(MEMORY_HINT)
    return int(float(match["num"]) * _MEMORY_BYTES[match["unit"]])


def memory_gib(quantity: str) -> float:
    return memory_bytes(quantity) / 2**30


def bandwidth_gbps(quantity: str) -> float:
    """``"10Gbps"`` -> 10.0, ``"500Mbps"`` -> 0.5."""
    match = _BANDWIDTH.match(quantity)
    if not match:
        raise ValueError(BANDWIDTH_HINT)
    value = float(match["num"])
    return value / 1000 if match["unit"] == "Mbps" else value


def duration_seconds(quantity: str) -> int:
    """A Prometheus duration in seconds: ``"30d"`` -> 2592000, ``"1h30m"`` -> 5400, ``"0m"`` -> 0.

    The one parser of durations: profiles, alert rules' ``for`` and the monitoring modules that
    translate rules for Cloud Monitoring and Azure Monitor all read durations here."""
    match = _DURATION.fullmatch(quantity)
    if not quantity or not match:
        raise ValueError(DURATION_HINT)
    return sum(int(number) * _DURATION_SECONDS[unit] for unit, number in match.groupdict().items() if number is not None)
