"""PromQL expressions more than one part of the monitoring computes: written once, here."""

from __future__ import annotations


def gpu_memory_ratio(matcher: str = "") -> str:
    """The share of GPU memory in use, per GPU, from the DCGM exporter: used / (used + free).

    ``matcher`` is a label matcher in braces (``{namespace="x"}``), applied to both series, or
    empty for every GPU. DCGM reports used and free framebuffer memory, not a total, so the
    ratio divides by their sum.
    """
    return f"DCGM_FI_DEV_FB_USED{matcher} / (DCGM_FI_DEV_FB_USED{matcher} + DCGM_FI_DEV_FB_FREE{matcher})"
