"""The one error of backup and restore: a refusal or a failure, with a message for a person."""

from __future__ import annotations


class BackupError(Exception):
    """Raised with a message that says what is wrong and, where it can, what to do."""

    def __init__(self, message: str, *, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems = problems or []

    def __str__(self) -> str:
        if not self.problems:
            return self.message
        shown = self.problems[:20]
        more = len(self.problems) - len(shown)
        lines = [self.message, *(f"  - {p}" for p in shown)]
        if more > 0:
            lines.append(f"  … and {more} more")
        return "\n".join(lines)
