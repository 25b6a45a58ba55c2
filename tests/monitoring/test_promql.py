"""The PromQL written once in monitoring/promql.py, evaluated by Prometheus (promtool test rules)."""

from __future__ import annotations

import shutil
import subprocess

import yaml

from synthdata_infra.monitoring.promql import gpu_memory_ratio
from synthdata_infra.monitoring.rules import GPU_RECORDING
from synthdata_infra.monitoring.scaling_signals import SIGNALS


def test_gpu_memory_ratio_is_used_over_used_plus_free_per_gpu_and_honours_the_matcher(tmp_path):
    promtool = shutil.which("promtool")
    assert promtool, "promtool not found: `make test` installs the Debian package prometheus"
    (tmp_path / "rules.yaml").write_text(
        yaml.safe_dump(
            {
                "groups": [
                    {
                        "name": "ratio",
                        "rules": [
                            {"record": "every_gpu", "expr": gpu_memory_ratio()},
                            {"record": "namespace_a", "expr": gpu_memory_ratio('{namespace="a"}')},
                        ],
                    }
                ]
            }
        )
    )
    gpu = {"a": 'gpu="0", namespace="a", pod="p"', "b": 'gpu="1", namespace="b", pod="q"'}
    test = {
        "rule_files": ["rules.yaml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    {"series": f"DCGM_FI_DEV_FB_USED{{{gpu['a']}}}", "values": "3072x2"},
                    {"series": f"DCGM_FI_DEV_FB_FREE{{{gpu['a']}}}", "values": "1024x2"},
                    {"series": f"DCGM_FI_DEV_FB_USED{{{gpu['b']}}}", "values": "0x2"},
                    {"series": f"DCGM_FI_DEV_FB_FREE{{{gpu['b']}}}", "values": "8192x2"},
                ],
                "promql_expr_test": [
                    {
                        "expr": "every_gpu",
                        "eval_time": "1m",
                        "exp_samples": [
                            {"labels": f"every_gpu{{{gpu['a']}}}", "value": 0.75},
                            {"labels": f"every_gpu{{{gpu['b']}}}", "value": 0},
                        ],
                    },
                    {
                        "expr": "namespace_a",
                        "eval_time": "1m",
                        "exp_samples": [{"labels": f"namespace_a{{{gpu['a']}}}", "value": 0.75}],
                    },
                ],
            }
        ],
    }
    (tmp_path / "test.yaml").write_text(yaml.safe_dump(test))
    run = subprocess.run([promtool, "test", "rules", "test.yaml"], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_recording_rule_and_the_keda_query_use_the_one_ratio():
    assert GPU_RECORDING[0]["expr"] == gpu_memory_ratio()
    query = SIGNALS["gpu_memory_usage"].query.format(selector='app="x"', service="x")
    assert query == "max(" + gpu_memory_ratio('{app="x"}') + ")"
