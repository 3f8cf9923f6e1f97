"""What the management commands share (the conventions of docs/import.md, «Command line»): the file to read and
the user to act as."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError


def input_file(file: str) -> Path:
    """The command's FILE argument; a Norwegian CommandError (exit 1) when it is not there."""
    path = Path(file)
    if not path.is_file():
        raise CommandError(f"Finner ikke filen {file}")
    return path


def acting_user(username: str | None):
    """The active user named by --user, or None (the command acts as the system) when it is not given."""
    if not username:
        return None
    account = get_user_model().objects.filter(username=username, is_active=True).first()
    if account is None:
        raise CommandError(f"Ukjent bruker: {username}")
    return account


def report(command, result) -> None:
    """Print an import's outcome as docs/import.md «Command line» says: warnings on stdout; on refusal exactly the
    error lines and the message on stderr and exit 1 (no "CommandError:" line); else the summary as the last line."""
    for warning in result.warnings:
        command.stdout.write(f"Advarsel: {warning}")
    if not result.ok:
        for error in result.errors:
            command.stderr.write(str(error))
        if result.message:
            command.stderr.write(result.message)
        raise SystemExit(1)
    command.stdout.write(result.summary)
