"""The cdktf app (`cdktf synth` runs `python main.py`): every module stack in one process.

`synthdata-infra synth` builds the same stacks, one process per provider binding, and turns
them into the child modules of modules_out/.
"""

from synthdata_infra.cdk import App
from synthdata_infra.synth.registry import modules_for
from synthdata_infra.synth.worker import build_stacks

app = App(skip_validation=True)
build_stacks(app, modules_for("all", "all"))
app.synth()
