"""Shared pieces of the client's parts: paths, body helpers, the mixin base."""

from __future__ import annotations

import hashlib
import os
from datetime import datetime
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from .transport import Transport, quote, timestamp

MEDIA_TYPES = {"csv": "text/csv", "arrow": "application/vnd.apache.arrow.stream", "json": "application/json"}
Time = Union[str, datetime]
FeatureSpec = Union[Mapping[str, Any], Tuple[str, str]]


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


def _m(name: str) -> str:
    return f"/models/{quote(name)}"


def _v(name: str, version: int) -> str:
    if isinstance(version, bool) or not isinstance(version, int):
        raise TypeError(f"version must be an int, got {version!r} (resolve aliases with get_version or resolve)")
    return f"{_m(name)}/versions/{version}"


def _artifact_path(name: str, version: int, path: str) -> str:
    return f"{_v(name, version)}/artifacts/" + "/".join(quote(p) for p in path.split("/"))


def _drop_none(**values: Any) -> Dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _features(features: Iterable[FeatureSpec]) -> List[Dict[str, Any]]:
    out = []
    for f in features:
        if isinstance(f, tuple):
            out.append({"name": f[0], "type": f[1]})
        elif hasattr(f, "to_json"):
            out.append(f.to_json())  # a Feature from another version
        else:
            out.append(dict(f))
    return out


def _tags_query(tag: Union[None, str, Sequence[str], Mapping[str, str]]) -> Optional[List[str]]:
    if tag is None:
        return None
    if isinstance(tag, str):
        return [tag]
    if isinstance(tag, Mapping):
        return [f"{k}:{v}" for k, v in tag.items()]
    return list(tag)


def _sha256_of(source: Union[bytes, bytearray, str, "os.PathLike[str]"]) -> str:
    if isinstance(source, (bytes, bytearray)):
        return hashlib.sha256(source).hexdigest()
    digest = hashlib.sha256()
    with open(source, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class HashingReader:
    """A caller's binary stream, hashed as the upload reads it (size via its fileno, if any)."""

    def __init__(self, stream: Any):
        self._stream = stream
        self._digest = hashlib.sha256()

    def read(self, *args: Any) -> bytes:
        block = self._stream.read(*args)
        self._digest.update(block)
        return block

    def fileno(self) -> int:
        return self._stream.fileno()

    def tell(self) -> int:
        return self._stream.tell()

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


def _table_body(rows: Optional[Sequence[Mapping[str, Any]]], columns: Optional[Mapping[str, Sequence[Any]]]) -> Dict[str, Any]:
    if (rows is None) == (columns is None):
        raise ValueError("give either rows=[{feature: value}, …] or columns={feature: [values]}")
    if rows is not None:
        return {"rows": [dict(r) for r in rows]}
    return {"columns": {k: list(v) for k, v in columns.items()}}  # type: ignore[union-attr]



def _ts(value: Optional[Time]) -> Optional[str]:
    return timestamp(value)


def _list(values: Optional[Sequence[Any]]) -> Optional[List[Any]]:
    return None if values is None else list(values)



class Part:
    """What every part of the client relies on: the transport and one JSON call."""

    _t: Transport

    def _call(self, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self._t.request(method, path, body, **kwargs).body
