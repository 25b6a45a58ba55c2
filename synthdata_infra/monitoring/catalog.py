"""The metric catalog (``data/metrics.yaml``): names, kinds, labels and help of every metric."""

from __future__ import annotations

import functools
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from synthdata_infra.config.loader import DATA_TYPES


class Metric(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
    kind: Literal["counter", "gauge", "histogram"]
    labels: tuple[str, ...]
    help: str
    buckets: tuple[float, ...] = ()


class MetricCatalog(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    common: tuple[Metric, ...]
    dcgm: tuple[Metric, ...]
    types: dict[str, tuple[Metric, ...]]

    def for_type(self, data_type: str) -> tuple[Metric, ...]:
        return self.types[data_type]

    def names(self) -> set[str]:
        every = [*self.common, *self.dcgm, *(m for metrics in self.types.values() for m in metrics)]
        return {m.name for m in every}


@functools.cache
def metric_catalog() -> MetricCatalog:
    text = resources.files("synthdata_infra.monitoring").joinpath("data/metrics.yaml").read_text(encoding="utf-8")
    catalog = MetricCatalog.model_validate(yaml.safe_load(text))
    if sorted(catalog.types) != sorted(DATA_TYPES):
        raise ValueError(f"metrics.yaml must list every data type, got {sorted(catalog.types)}")
    for kind, metrics in catalog.types.items():
        for metric in metrics:
            if not metric.name.startswith(f"synthdata_{kind}_"):
                raise ValueError(f"{metric.name} must start with synthdata_{kind}_")
    return catalog
