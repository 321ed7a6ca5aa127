"""Errors: what the server refused (ApiError) and what the client itself found wrong."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, List, Mapping, Optional


@dataclass(frozen=True)
class FieldError:
    """One entry of a problem's `errors`: the field (`rows[3].age`, `name`) and what is wrong."""

    path: str
    message: str


class ApiError(Exception):
    """The server answered 4xx/5xx; this carries its application/problem+json body.

    `status` (HTTP), `code` (`MODEL_NOT_FOUND`, `VALIDATION_FAILED`, …), `detail`, `title`,
    `errors` (field errors) and `field` (the first field named, or None). `problem` is the body
    as sent; `retry_after` the Retry-After header in seconds, when there was one.
    """

    def __init__(self, status: int, problem: Mapping[str, Any], retry_after: Optional[float] = None):
        self.status = status
        self.problem = dict(problem)
        self.code: str = str(problem.get("code") or "HTTP_ERROR")
        self.title: str = str(problem.get("title") or "")
        self.detail: str = str(problem.get("detail") or self.title)
        self.type: Optional[str] = problem.get("type")
        self.errors: List[FieldError] = [
            FieldError(str(e.get("path", "")), str(e.get("message", ""))) for e in (problem.get("errors") or []) if isinstance(e, Mapping)
        ]
        self.retry_after = retry_after
        fields = "".join(f"\n  {e.path}: {e.message}" for e in self.errors)
        super().__init__(f"{self.code} ({status}): {self.detail}{fields}")

    @property
    def field(self) -> Optional[str]:
        """The first field the server named (`name`, `features[0].type`), or None."""
        return self.errors[0].path if self.errors else None

    @property
    def fields(self) -> List[str]:
        return [e.path for e in self.errors]


#: The name the copied one-file client used; kept so old `except MlcycleError` code still works.
MlcycleError = ApiError


class ChecksumError(IOError):
    """Bytes received (or stored) do not match the sha256 the other side reported."""

    def __init__(self, what: str, expected: Optional[str], actual: str):
        self.expected = expected
        self.actual = actual
        super().__init__(f"sha256 mismatch for {what}: expected {expected}, got {actual}")


class InvalidModelUri(ValueError):
    """A model URI this client cannot read (see `parse_model_uri`)."""
