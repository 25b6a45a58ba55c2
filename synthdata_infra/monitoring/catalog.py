"""The metric catalog: names, kinds, labels and help of every metric.

The shared part (common and DCGM metrics) is ``data/metrics.yaml``; each data type's own
metrics are ``profiles/<type>/metrics.yaml`` and must start with ``synthdata_<type>_``.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from synthdata_infra.config.loader import data_types, load_yaml, project_root, type_folder, validate
from synthdata_infra.errors import ConfigError

METRICS_FILE = "metrics.yaml"


class Metric(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
    kind: Literal["counter", "gauge", "histogram"]
    labels: tuple[str, ...]
    help: str
    buckets: tuple[float, ...] = ()
    # What produces it when not the services themselves: a metric exporter a platform chart runs
    # (``Chart.exports`` in components/platform/charts.py) or the kubelet.
    exporter: str | None = None


class TypeMetrics(BaseModel):
    """``profiles/<type>/metrics.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    metrics: tuple[Metric, ...] = Field(min_length=1)


class MetricCatalog(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    common: tuple[Metric, ...]
    dcgm: tuple[Metric, ...]
    kubernetes: tuple[Metric, ...] = ()
    types: dict[str, tuple[Metric, ...]] = {}

    def for_type(self, data_type: str) -> tuple[Metric, ...]:
        return self.types[data_type]

    def names(self) -> set[str]:
        return {m.name for m in self.every()}

    def every(self) -> list[Metric]:
        return [*self.common, *self.dcgm, *self.kubernetes, *(m for metrics in self.types.values() for m in metrics)]


def metric_catalog(root: Path | None = None) -> MetricCatalog:
    """The catalog of the project at ``root`` (default: the project in use)."""
    root = (root or project_root()).resolve()
    files = tuple(type_folder(kind, root) / METRICS_FILE for kind in data_types(root))
    return _catalog(root, tuple((path, path.stat().st_mtime_ns if path.is_file() else None) for path in files))


@functools.cache
def _catalog(root: Path, stamps: tuple[tuple[Path, int | None], ...]) -> MetricCatalog:
    text = resources.files("synthdata_infra.monitoring").joinpath("data/metrics.yaml").read_text(encoding="utf-8")
    shared = MetricCatalog.model_validate(yaml.safe_load(text))
    types: dict[str, tuple[Metric, ...]] = {}
    for path, stamp in stamps:
        kind = path.parent.name
        label = f"profiles/{kind}/{METRICS_FILE}"
        if stamp is None:
            raise ConfigError(label, "a missing file", f"every data type lists its own metrics (names starting synthdata_{kind}_) there")
        metrics = validate(TypeMetrics, load_yaml(path, label), prefix=f"{label}:").metrics
        for index, metric in enumerate(metrics):
            if not metric.name.startswith(f"synthdata_{kind}_"):
                raise ConfigError(f"{label}:metrics.{index}.name", metric.name, f"expected a name starting with synthdata_{kind}_")
        types[kind] = metrics
    return shared.model_copy(update={"types": types})
