"""Progress of a synth run on a terminal: per provider binding, pending -> cached / synthesizing -> written."""

from __future__ import annotations

from rich.console import Console
from rich.live import Live
from rich.table import Table


class SynthProgress:
    """Silent; the driver reports each state change here."""

    def set(self, binding: str, state: str, detail: str = "") -> None:
        pass

    def __enter__(self) -> "SynthProgress":
        return self

    def __exit__(self, *exc: object) -> None:
        pass


class TerminalProgress(SynthProgress):
    """A live table on stderr; only used when stderr is a terminal."""

    def __init__(self, bindings: dict[str, int]) -> None:
        self.states = {binding: ("pending", f"{count} module(s)") for binding, count in bindings.items()}
        self.live = Live(self._table(), console=Console(stderr=True), refresh_per_second=8, transient=False)

    def _table(self) -> Table:
        table = Table(title="synthdata-infra synth", show_edge=False)
        for column in ("provider", "state", ""):
            table.add_column(column)
        for binding, (state, detail) in self.states.items():
            table.add_row(binding, state, detail)
        return table

    def set(self, binding: str, state: str, detail: str = "") -> None:
        self.states[binding] = (state, detail or self.states[binding][1])
        self.live.update(self._table())

    def __enter__(self) -> "TerminalProgress":
        self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.live.__exit__(*exc)
