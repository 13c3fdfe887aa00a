"""The one exception family the library raises; the CLI turns each into `Error: ...` + hint."""

from __future__ import annotations


class KcnaDatasetError(Exception):
    """A failure the user can act on: a one-line message and a suggested fix."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(KcnaDatasetError):
    """The call itself is wrong (a missing path, a bad version string): exit status 2."""


class BuildError(KcnaDatasetError):
    """The build could not publish a release: exit status 1."""


class InvalidInputError(BuildError):
    """Strict build refused: some input records are invalid. Carries the validation report."""

    def __init__(self, message: str, hint: str | None, report: object) -> None:
        super().__init__(message, hint)
        self.report = report
