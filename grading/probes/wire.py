"""Messages between the grader and the sandboxed process: plain JSON in length-prefixed frames.

A frame is an 8-byte little-endian length and that many bytes of UTF-8 JSON. JSON has no references
between values, so a reply decodes to at most its own size (no expansion), and nothing in it can name
a class or a function: it is data. NumPy arrays travel as ``{"__ndarray__": [dtype, shape, base64]}``
(:func:`dumps`, :func:`loads`), numbers and strings as themselves.

Every read has a size limit and a deadline (:func:`read_frame`); what does not follow these rules raises
:class:`Malformed` or :class:`TimeoutError`.
"""

from __future__ import annotations

import base64
import json
import math
import os
import select
import struct
import time
from typing import Any

import numpy as np

HEADER = struct.Struct("<Q")
ARRAY_KEY = "__ndarray__"
#: dtypes an array may have on the wire (no objects, no structured types).
ARRAY_KINDS = "biufc"


class Malformed(Exception):
    """A frame or a value that does not follow the protocol."""


def _encode(value: Any) -> Any:
    """What :func:`dumps` makes of a value JSON has no form for: an array, or an error."""
    if isinstance(value, (np.ndarray, np.generic)):
        array = np.asarray(value)
        if array.dtype.kind not in ARRAY_KINDS:
            raise Malformed(f"an array of dtype {array.dtype} cannot be sent")
        raw = np.ascontiguousarray(array).tobytes()
        return {ARRAY_KEY: [array.dtype.str, list(array.shape), base64.b64encode(raw).decode("ascii")]}
    if isinstance(value, tuple):
        return list(value)
    raise Malformed(f"a {type(value).__name__} is not data")


def _decode(value: dict) -> Any:
    return _array(value[ARRAY_KEY]) if ARRAY_KEY in value else value


def dumps(value: Any) -> bytes:
    """``value`` (None, bool, int, float, str, lists, tuples, dicts with str keys, NumPy arrays) as JSON bytes;
    :class:`Malformed` for anything else."""
    try:
        return json.dumps(value, default=_encode, allow_nan=True, separators=(",", ":")).encode("utf-8")
    except (ValueError, TypeError, RecursionError) as exc:  # a circular or too deep structure, a bad key
        raise Malformed(f"the value cannot be sent as data ({type(exc).__name__}: {exc})") from None


def loads(data: bytes) -> Any:
    """The inverse of :func:`dumps` (arrays rebuilt and checked); :class:`Malformed` for anything that is not."""
    try:
        return json.loads(data.decode("utf-8"), object_hook=_decode)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise Malformed(f"a message that is not JSON ({type(exc).__name__})") from None


def _array(spec: Any) -> np.ndarray:
    try:
        dtype_text, shape, payload = spec
        dtype = np.dtype(str(dtype_text))
        shape = tuple(int(n) for n in shape)
        raw = base64.b64decode(str(payload), validate=True)
    except (TypeError, ValueError) as exc:
        raise Malformed(f"a malformed array ({exc})") from None
    if dtype.kind not in ARRAY_KINDS or any(n < 0 for n in shape) or math.prod(shape) * dtype.itemsize != len(raw):
        raise Malformed("an array whose dtype or shape does not match its bytes")
    return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()


def write_frame(fd: int, message: Any) -> None:
    """Send ``message`` (plain data) as one frame."""
    body = dumps(message)
    view = memoryview(HEADER.pack(len(body)) + body)
    while view:
        view = view[os.write(fd, view) :]


def _read_exactly(fd: int, size: int, deadline: float | None) -> bytes:
    chunks, left = [], size
    while left:
        if deadline is not None:
            wait = deadline - time.monotonic()
            if wait <= 0 or not select.select([fd], [], [], wait)[0]:
                raise TimeoutError("no reply before the deadline")
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError("the other side closed the connection")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_frame(fd: int, *, limit: int, deadline: float | None) -> Any:
    """One message, at most ``limit`` bytes, read before ``deadline`` (``time.monotonic()``; None: no deadline)."""
    (size,) = HEADER.unpack(_read_exactly(fd, HEADER.size, deadline))
    if size > limit:
        raise Malformed(f"a message of {size:,} bytes (the limit is {limit:,})")
    return loads(_read_exactly(fd, size, deadline))
