"""The cdktf app (`cdktf synth` runs `python main.py`): every module stack, then one root
stack per service and environment (plus each environment's monitoring and workspaces roots).

`synthdata-infra synth` builds the same module stacks, one process per provider binding, and
turns them into the child modules of modules_out/. The roots call those committed modules:
after synthesis each root's folder gets a copy of them under `modules/`, so
`cdktf deploy <root>` (or Terraform Cloud) has everything in the one folder.
"""

from pathlib import Path

from synthdata_infra.cdk import App
from synthdata_infra.config import available_environments, load_environment
from synthdata_infra.deploy.plan import Target, plan_environment
from synthdata_infra.deploy.synth_roots import add_environment_roots, copy_root_modules
from synthdata_infra.synth.registry import modules_for
from synthdata_infra.synth.worker import build_stacks

HERE = Path(__file__).resolve().parent

app = App(skip_validation=True)
build_stacks(app, modules_for("all", "all"))
roots = []
for name in available_environments(HERE):
    roots += add_environment_roots(app, plan_environment(load_environment(name, HERE)), Target())
app.synth()
copy_root_modules(roots, Path(app.outdir), HERE / "modules_out", Target())
