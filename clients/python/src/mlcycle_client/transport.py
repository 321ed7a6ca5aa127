"""HTTP over urllib: auth, JSON, problem+json errors, retries with backoff, cursor pagination."""

from __future__ import annotations

import http.client
import json
import os
import random
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, BinaryIO, Callable, Generic, Iterator, List, Mapping, Optional, Tuple, TypeVar, Union

from .errors import ApiError

T = TypeVar("T")

# Worth another try: the request may not have arrived, or the server was briefly unable.
TRANSIENT_ERRORS = (urllib.error.URLError, http.client.HTTPException, ConnectionError, TimeoutError, socket.timeout)
TRANSIENT_STATUS = {429, 502, 503, 504}

#: What a body can be given as: bytes, a file path, or a binary file object (streamed, not retried).
Source = Union[bytes, bytearray, str, "os.PathLike[str]", BinaryIO]


def quote(segment: Any) -> str:
    return urllib.parse.quote(str(segment), safe="")


def timestamp(value: Union[str, datetime, None]) -> Optional[str]:
    """A datetime (naive = UTC) as the API's ISO-8601 string; strings pass through."""
    if value is None or isinstance(value, str):
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _query_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return timestamp(value)
    if isinstance(value, (list, tuple)):
        return [_query_value(v) for v in value]
    return value


def problem_of(error: urllib.error.HTTPError) -> ApiError:
    raw = error.read()
    try:
        problem = json.loads(raw)
        if not isinstance(problem, dict):
            raise ValueError
    except ValueError:
        problem = {"title": str(error.reason), "detail": raw[:300].decode(errors="replace")}
    retry_after = error.headers.get("Retry-After") if error.headers else None
    try:
        seconds = float(retry_after) if retry_after is not None else None
    except ValueError:
        seconds = None
    return ApiError(error.code, problem, seconds)


@dataclass
class Response:
    status: int
    body: Any
    headers: Mapping[str, str]


class Transport:
    def __init__(self, base_url: str, token: Optional[str], timeout: float, retries: int, backoff: float):
        self.base_url = base_url.rstrip("/")
        self.api = self.base_url + "/api/v1"
        self.token = token
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        #: Retries made so far (serving code may export it as a metric).
        self.retried = 0
        #: Requests sent so far, retries included.
        self.requests = 0

    def url(self, path: str, query: Optional[Mapping[str, Any]] = None) -> str:
        url = self.api + path
        if query:
            pairs = {k: _query_value(v) for k, v in query.items() if v is not None}
            if pairs:
                url += "?" + urllib.parse.urlencode(pairs, doseq=True)
        return url

    def headers(self, extra: Optional[Mapping[str, str]] = None) -> dict:
        headers = {"Accept": "application/json", **(extra or {})}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def _sleep_before(self, attempt: int, retry_after: Optional[float]) -> None:
        self.retried += 1
        # Exponential backoff with jitter, so a fleet of clients does not retry in step; the
        # server's Retry-After wins when it asks for longer.
        delay = self.backoff * 2 ** (attempt - 1) * (0.5 + random.random())
        time.sleep(max(delay, min(retry_after or 0.0, 60.0)))

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        query: Optional[Mapping[str, Any]] = None,
        headers: Optional[Mapping[str, str]] = None,
        data: Optional[Callable[[], Tuple[Any, Optional[int]]]] = None,
        retry: bool = False,
    ) -> Response:
        """One call. `data` opens the raw body anew for each attempt: (bytes or file, length).
        `retry` only for calls that are safe to repeat (reads, idempotency-keyed writes)."""
        url = self.url(path, query)
        all_headers = self.headers(headers)
        payload: Any = None
        if body is not None:
            payload = json.dumps(body, allow_nan=False).encode()
            all_headers["Content-Type"] = "application/json"
        attempts = self.retries + 1 if retry else 1
        retry_after: Optional[float] = None
        for attempt in range(attempts):
            if attempt:
                self._sleep_before(attempt, retry_after)
            retry_after = None
            opened = None
            if data is not None:
                opened, length = data()
                payload = opened
                if length is not None:
                    all_headers["Content-Length"] = str(length)
            request = urllib.request.Request(url, data=payload, method=method, headers=all_headers)
            self.requests += 1
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    raw = response.read()
                    parsed = json.loads(raw) if raw else None
                    return Response(response.status, parsed, dict(response.headers))
            except urllib.error.HTTPError as error:
                problem = problem_of(error)
                if retry and error.code in TRANSIENT_STATUS and attempt + 1 < attempts:
                    retry_after = problem.retry_after
                    continue
                raise problem from None
            except TRANSIENT_ERRORS:
                if attempt + 1 >= attempts:
                    raise
            finally:
                if opened is not None and hasattr(opened, "close"):
                    opened.close()
        raise AssertionError("unreachable")

    def open(self, path: str) -> Any:
        """A streaming GET (artifact downloads); the caller closes the response."""
        request = urllib.request.Request(self.url(path), headers=self.headers({"Accept": "*/*"}))
        self.requests += 1
        try:
            return urllib.request.urlopen(request, timeout=self.timeout)
        except urllib.error.HTTPError as error:
            raise problem_of(error) from None


def body_source(source: Source) -> Tuple[Callable[[], Tuple[Any, Optional[int]]], bool]:
    """An opener for a raw body and whether it can be sent again (bytes and paths can)."""
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
        return (lambda: (data, len(data))), True
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        # urllib sends a file object in blocks when it is given the length: the file is streamed.
        return (lambda: (open(path, "rb"), os.path.getsize(path))), True
    if hasattr(source, "read"):
        length: Optional[int] = None
        try:
            length = os.fstat(source.fileno()).st_size - source.tell()
        except (AttributeError, OSError, ValueError):
            length = None
        return (lambda: (_Unclosable(source), length)), False
    raise TypeError(f"expected bytes, a file path or a binary file, got {type(source).__name__}")


class _Unclosable:
    """Passes a caller's file to urllib without closing it afterwards."""

    def __init__(self, file: BinaryIO):
        self._file = file

    def read(self, *args: Any) -> bytes:
        return self._file.read(*args)


@dataclass
class Page(Generic[T]):
    items: List[T]
    next_cursor: Optional[str]


class Pager(Generic[T]):
    """A paginated list: iterate it for every item (pages are fetched as needed, following
    `nextCursor`), or call `pages()` for one page at a time. Nothing is fetched before iteration."""

    def __init__(self, transport: Transport, path: str, convert: Callable[[Any], T], query: Optional[Mapping[str, Any]] = None,
                 limit: Optional[int] = None, cursor: Optional[str] = None):
        self._transport = transport
        self._path = path
        self._convert = convert
        self._query = dict(query or {})
        self._limit = limit
        self._cursor = cursor

    def pages(self) -> Iterator[Page[T]]:
        cursor = self._cursor
        while True:
            query = {**self._query, "limit": self._limit, "cursor": cursor}
            body = self._transport.request("GET", self._path, query=query, retry=True).body
            cursor = body.get("nextCursor")
            yield Page([self._convert(item) for item in body["items"]], cursor)
            if not cursor:
                return

    def __iter__(self) -> Iterator[T]:
        for page in self.pages():
            yield from page.items

    def first_page(self) -> Page[T]:
        return next(iter(self.pages()))

    def to_list(self) -> List[T]:
        return list(self)
