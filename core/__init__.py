"""The bottom layer (docs/architecture.md): money, months, the case workflow, API base classes, progress,
tasks and tokens. It imports no app of this project; every app may import it."""
