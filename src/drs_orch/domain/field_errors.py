"""Field-level validation errors, pure: a model validator names the field a cross-field problem is
about (:class:`FieldProblem`), and :func:`error_details` turns a pydantic ``ValidationError`` into
the API's ``details`` list (``[{"field", "message"}]``, paths such as ``waves[0].rtoMinutes``).
Every request model shares them; they depend on nothing else of the domain."""

from __future__ import annotations

from pydantic import ValidationError


class FieldProblem(ValueError):
    """Raised by a model validator to name the field a cross-field problem is about."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _path(parts: list[str | int]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def error_details(exc: ValidationError, prefix: str = "") -> list[dict[str, str]]:
    """``[{"field", "message"}]`` for every error of a pydantic ``ValidationError``."""
    details: list[dict[str, str]] = []
    for error in exc.errors():
        loc: list[str | int] = [prefix] if prefix else []
        # dict-key errors carry a "[key]" marker after the key itself
        loc += [part for part in error["loc"] if part != "[key]"]
        cause = (error.get("ctx") or {}).get("error")
        if isinstance(cause, FieldProblem):
            loc.append(cause.field)
        message = str(cause) if isinstance(cause, ValueError) else error["msg"]
        details.append({"field": _path(loc), "message": message})
    return details
