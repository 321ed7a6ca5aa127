"""Model URIs: `mlcycle://models/{name}@{alias}` and friends, resolved to a version."""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass
from typing import Optional

from .errors import InvalidModelUri

_NAME = r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}"
# mlcycle://models/churn@production · mlcycle://models/churn/3 · models:/churn@production · models:/churn/3
_URI = re.compile(rf"^(?:mlcycle://models/|models:/)(?P<name>{_NAME})(?:@(?P<alias>{_NAME})|/(?P<version>[1-9][0-9]{{0,9}}))$")


@dataclass(frozen=True)
class ModelRef:
    """A model and either an alias or a version number."""

    name: str
    alias: Optional[str] = None
    version: Optional[int] = None

    def uri(self) -> str:
        tail = f"@{self.alias}" if self.alias is not None else f"/{self.version}"
        return f"mlcycle://models/{self.name}{tail}"


def parse_model_uri(uri: str) -> ModelRef:
    """Reads `mlcycle://models/{name}@{alias}`, `mlcycle://models/{name}/{version}`, or the
    MLflow-style `models:/{name}@{alias}` / `models:/{name}/{version}`. Percent-encoding is
    undone first. Aliases the server knows besides the ones you set: `latest`, `v3`."""
    if not isinstance(uri, str):
        raise InvalidModelUri(f"model URI must be a string, got {type(uri).__name__}")
    match = _URI.match(urllib.parse.unquote(uri.strip()))
    if not match:
        raise InvalidModelUri(
            f"not a model URI: {uri!r}; expected mlcycle://models/NAME@ALIAS, mlcycle://models/NAME/VERSION, models:/NAME@ALIAS or models:/NAME/VERSION"
        )
    version = match.group("version")
    return ModelRef(match.group("name"), match.group("alias"), int(version) if version else None)
