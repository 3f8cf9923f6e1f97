"""A progress bar for management commands on a terminal (rich), following core.progress events.

Quiet unless both stdout and stderr are terminals: a command whose output is captured or piped (cron, an
integration reading the last line, docs/import.md «Command line») prints exactly what it printed before. The bar
is drawn on stderr and removed when the command ends, so the summary line stays the last line on the screen too."""

from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from core.progress import listening


def on_terminal(command) -> bool:
    """Both of the command's streams are terminals (Django's OutputWrapper answers isatty for its stream)."""
    return command.stdout.isatty() and command.stderr.isatty()


@contextmanager
def progress_bar(command, steps: dict[str, str]):
    """Show one bar per kind of progress event in `steps` ({kind: label}) while the block runs, on a terminal."""
    if not on_terminal(command):
        yield
        return
    # the wrapper's own stream: OutputWrapper.write adds a newline to every write, which breaks a redrawn bar
    console = Console(file=command.stderr._out, stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        tasks: dict[str, int] = {}

        def follow(kind: str, pk: int, percent: int) -> None:
            if kind not in steps:
                return
            if kind not in tasks:
                tasks[kind] = progress.add_task(steps[kind], total=100)
            progress.update(tasks[kind], completed=percent)

        with listening(follow):
            yield
