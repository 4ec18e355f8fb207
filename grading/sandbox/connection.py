"""One end of the object protocol over a pair of pipes (both processes run this code)."""

from __future__ import annotations

import contextlib
import gc
import io
import os
import pickle
import select
import struct
import sys
import time
import types
from typing import Any, Callable

from .base import MAX_MESSAGE, ProtocolError, SandboxError, StaleReference, _HEADER, _MISSING
from .names import _Registry, _UNSENDABLE, _public_name
from .mirrors import (
    FORWARDED, Mirror, _CONTAINERS, _ClassMirror, _Contents, _STALE, _WRITE_BACK_HOOKS, _apply_attr, _delete_missing,
    _fingerprint, _fp, _layout, _mirror_layout, _qualified, _replace_contents, _same, _state
)
from .encoder import _Encoder
from .decoder import _Decoder
from .ambient import ambient_read, ambient_write

@contextlib.contextmanager
def _no_gc():  # noqa: ANN202
    """Encoding and decoding make many small objects: the cyclic collector would scan the whole
    heap many times over (a 100,000-node graph costs seconds with it on)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _dumps(obj: Any) -> bytes:
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.fast = True  # messages are trees: no memo needed
    pickler.dump(obj)
    return buffer.getvalue()


def _refcount_base() -> int:
    table = {1: object()}
    return [sys.getrefcount(m) for rid, m in table.items()][0]


#: What sys.getrefcount says, in Connection._unreferenced, of a mirror held only by the table.
_REFCOUNT_BASE = _refcount_base()


class _SafeUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        raise ProtocolError(f"a message may not load {module}.{name}")


# --- connection ------------------------------------------------------------------------------------------

class Connection:
    """One end of the object protocol over a pair of pipes.

    Both ends run this code. ``trusted_peer`` is True in the child (which obeys the parent) and
    False in the parent, which then accepts requests only about objects it handed over, for public
    names, and decodes messages without loading any class.
    """

    def __init__(self, rfd: int, wfd: int, *, trusted_peer: bool):
        self.rfd, self.wfd = rfd, wfd
        self.trusted_peer = trusted_peer
        self.registry = _Registry(strict=trusted_peer)  # the child names only what the parent accepts
        self.handler: Callable[[str, tuple], Any] | None = None
        self.on_meta: Callable[[dict], None] | None = None
        self.on_dead: Callable[[SandboxError], None] | None = None
        #: Called when a message names one of minitorch's classes or objects: the receiver's own copy is used,
        #: so calling it runs minitorch here, not in the sender (the grader's tripwire must then watch here).
        self.on_minitorch: Callable[[], None] | None = None
        self._rid = 1 if not trusted_peer else 2   # the parent's ids are odd, the child's even
        # our objects that the peer holds mirrors of (forgotten between checks), and our types (kept)
        self.exports: dict[int, Any] = {}
        self.export_ids: dict[int, int] = {}
        self.snapshots: dict[int, tuple] = {}
        self.type_exports: dict[int, type] = {}
        self.type_ids: dict[int, int] = {}
        # mirrors of the peer's objects and types
        self.mirrors: dict[int, Any] = {}
        self.mirror_ids: dict[int, int] = {}
        self.mirror_fps: dict[int, tuple] = {}
        self.dirty: set[int] = set()
        self.type_infos: dict[int, dict] = {}
        self.type_classes: dict[int, type] = {}
        self.class_mirrors: dict[int, Any] = {}
        self.class_mirror_ids: dict[int, int] = {}
        self.class_mirror_type = type("type", (_ClassMirror,), {"__slots__": (), "_sbx_conn": self})
        self.arr_out: dict[int, Any] = {}      # our arrays the peer holds copies of
        self.arr_in: dict[int, Any] = {}       # the peer's array id -> our copy
        self.arr_in_rev: dict[int, int] = {}   # id(our copy) -> the peer's array id
        self.id_keyed_dicts: list = []
        self.meta_out: dict = {}
        self.deadline: float | None = None
        self.timeout_reason = "took too long"
        self.dead: SandboxError | None = None
        self.messages = 0
        self.bytes = 0

    def allocate(self) -> int:
        rid = self._rid
        self._rid += 2
        return rid

    # ------------------------------------------------------------------ framing
    def write_frame(self, data: bytes) -> None:
        view = memoryview(_HEADER.pack(len(data)) + data)
        while view:
            view = view[os.write(self.wfd, view):]
        self.messages += 1
        self.bytes += len(data)

    def _read_exact(self, n: int) -> bytes:
        chunks, remaining = [], n
        while remaining:
            if self.deadline is not None:
                left = self.deadline - time.monotonic()
                if left <= 0 or not select.select([self.rfd], [], [], left)[0]:
                    raise TimeoutError()
            chunk = os.read(self.rfd, min(remaining, 1 << 22))
            if not chunk:
                raise EOFError()
            chunks.append(chunk)
            remaining -= len(chunk)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def read_frame(self, limit: int = MAX_MESSAGE) -> Any:
        (size,) = _HEADER.unpack(self._read_exact(_HEADER.size))
        if size > limit:
            raise ProtocolError(f"a message of {size} bytes")
        data = self._read_exact(size)
        self.messages += 1
        self.bytes += size
        with _no_gc():
            return pickle.loads(data) if self.trusted_peer else _SafeUnpickler(io.BytesIO(data)).load()

    # ------------------------------------------------------------------ sending
    def _send(self, kind: str, payload_fn: Callable[[_Encoder], Any]) -> _Encoder:
        self.registry.refresh()
        enc = _Encoder(self)
        with _no_gc():
            payload = payload_fn(enc)
            enc.payload_containers = list(enc.keep)
            if "minitorch" in sys.modules:
                self.meta_out["ambient"] = enc.value(ambient_read())
            updates = self._updates(enc)
            enc.flush()
            released = self._unreferenced(enc.returned)
            if released:
                self.meta_out["release"] = released
            meta, self.meta_out = self.meta_out, {}
            data = _dumps((kind, enc.defs, updates, payload, meta))
            # free the encoded tree before the collector is back on (it would scan all of it once)
            enc.defs = []
            del updates, payload, meta
        if len(data) > MAX_MESSAGE:
            raise ValueError("the value is too large to send")
        enc.commit()
        self.dirty.clear()
        for rid in released:
            mirror = self.mirrors.pop(rid)
            self.mirror_ids.pop(id(mirror), None)
            self.mirror_fps.pop(rid, None)
        self.write_frame(data)
        return enc

    def _unreferenced(self, keep: set) -> list:
        """Mirrors nothing refers to any more (only our table): the owner may forget them, so that
        neither side keeps checking them for changes at every message."""
        if not self.mirrors:
            return []
        base = _REFCOUNT_BASE
        refcount = sys.getrefcount
        return [rid for rid, mirror in self.mirrors.items() if refcount(mirror) <= base and rid not in keep]

    def _updates(self, enc: _Encoder) -> list:
        """What changed since the last message: our objects that the peer mirrors ("R"), and our
        mirrors of the peer's objects, written back to their owner ("O")."""
        updates = []
        for rid, old in self.snapshots.items():
            obj = self.exports[rid]
            state = _state(obj, _layout(type(obj)))
            fp = _fp(state)
            if not _same(old, fp):
                enc.snap_fps.append((rid, fp))
                updates.append(("R", rid, enc.state(state, type(obj))))
        if self.dirty or self.mirror_fps:
            for rid in set(self.dirty) | set(self.mirror_fps):
                mirror = self.mirrors.get(rid)
                if mirror is None:
                    continue
                state = _state(mirror, _mirror_layout(mirror))
                if rid in self.mirror_fps or not _CONTAINERS.isdisjoint(map(type, state[1])):
                    fp = _fp(state)
                    if rid not in self.dirty and rid in self.mirror_fps and _same(self.mirror_fps[rid], fp):
                        continue
                    enc.mirror_fps.append((rid, fp))
                updates.append(("O", rid, enc.state(state, type(mirror))))
        return updates

    # ------------------------------------------------------------------ receiving
    def _receive(self) -> tuple[str, Any]:
        """Read one message; apply its definitions and updates; return (kind, decoded payload).
        A payload that refers to a stale object decodes to a StaleReference exception."""
        with _no_gc():
            message = self.read_frame()
            if type(message) is not tuple or len(message) != 5:
                raise ProtocolError("malformed message")
            try:
                return self._apply(message)
            finally:
                del message

    def _apply(self, message: tuple) -> tuple[str, Any]:
        kind, defs, updates, payload, meta = message
        if type(meta) is not dict or type(updates) is not list:
            raise ProtocolError("malformed message")
        if meta.get("reset") and self.trusted_peer:
            self.reset()
        dec = _Decoder(self)
        dec.definitions(defs)
        try:
            value = self._decode_payload(kind, payload, dec)
        except StaleReference as exc:
            value = exc
        ambient = _MISSING
        if meta.get("ambient") is not None and "minitorch" in sys.modules:
            with contextlib.suppress(StaleReference):
                ambient = dec.value(meta["ambient"])
        applied = []
        for update in updates:
            if type(update) is not tuple or len(update) != 3 or update[0] not in ("R", "O"):
                raise ProtocolError("malformed update")
            side, rid, entry = update
            target = (self.mirrors if side == "R" else self.exports).get(rid)
            if target is None:
                continue
            layout = _mirror_layout(target) if side == "R" else _layout(type(target))
            try:
                names, values = dec.state(entry, layout)
            except StaleReference:
                continue
            applied.append((side, rid, target, names, values, layout))
        dec.fill()
        for side, rid, target, names, values, layout in applied:
            if side == "R":
                generic = isinstance(target, Mirror)
                _delete_missing(target, layout, names, generic)
                for name, item in zip(names, values):
                    with contextlib.suppress(AttributeError, TypeError):
                        _apply_attr(target, name, item, mirror=generic)
                if rid in self.mirror_fps or not _CONTAINERS.isdisjoint(map(type, values)):
                    self.mirror_fps[rid] = _fp(_state(target, layout))
                self.dirty.discard(rid)
            else:
                self._write_back(target, rid, names, values)
        if ambient is not _MISSING:
            ambient_write(ambient, trusted=self.trusted_peer)
        if dec.new_copies and self.id_keyed_dicts:
            for key in dec.new_copies:
                synthetic = ("peer", key)
                for d in self.id_keyed_dicts:
                    if synthetic in d:
                        d[id(self.arr_in[key])] = d.pop(synthetic)
        released = meta.get("release")
        if type(released) is list:
            for rid in released:
                obj = self.exports.pop(rid, None) if type(rid) is int else None
                if obj is not None:
                    self.export_ids.pop(id(obj), None)
                    self.snapshots.pop(rid, None)
        if meta and self.on_meta is not None:
            self.on_meta(meta)
        return kind, value

    def _decode_payload(self, kind: str, payload: Any, dec: _Decoder) -> Any:
        if kind == "q":
            if type(payload) is not tuple or len(payload) != 2 or type(payload[0]) is not str:
                raise ProtocolError("malformed request")
            dec.containers = []
            args = dec.value(payload[1])
            if type(args) is not tuple:
                raise ProtocolError("malformed request")
            return (payload[0], args, list(dec.containers))
        if kind == "r":
            if type(payload) is not tuple or len(payload) != 2 or type(payload[1]) is not list:
                raise ProtocolError("malformed result")
            result = dec.value(payload[0])
            writebacks = [(i, dec.value(v)) for i, v in payload[1] if type(i) is int]
            return (result, writebacks)
        if kind == "e":
            return dec.exception(payload)
        raise ProtocolError(f"unknown message kind {kind!r}")

    def _write_back(self, obj: Any, rid: int, names: Any, values: list) -> None:
        """The peer changed attributes of its mirror of our object ``obj``: change ``obj``."""
        if rid not in self.snapshots:
            return  # only objects sent with a snapshot are written through their mirrors
        layout = _layout(type(obj))
        hook = _WRITE_BACK_HOOKS.get(_qualified(type(obj)))
        before = hook[0](obj) if hook else None
        with contextlib.suppress(Exception):
            _delete_missing(obj, layout, names, False)
        for name, value in zip(names, values):
            if not self.trusted_peer and not _public_name(name):
                continue
            try:
                _apply_attr(obj, name, value, mirror=False)
            except Exception:  # noqa: BLE001 - the object refused the value, as it would have in one process
                pass
        if hook:
            with contextlib.suppress(Exception):
                hook[1](obj, before)
        self.snapshots[rid] = _fp(_state(obj, layout))

    # ------------------------------------------------------------------ requests
    def request(self, op: tuple) -> Any:
        """Send ``op`` to the peer and wait for the result, serving the peer's requests meanwhile."""
        if self.dead is not None:
            raise SandboxError(self.dead.reason, self.dead.kind)
        try:
            enc = self._send("q", lambda enc: (op[0], enc.value(tuple(op[1:]))))
        except StaleReference:
            raise  # nothing was sent
        except (ValueError, RecursionError) as exc:
            raise ValueError(f"cannot send this value to the other process: {exc}") from None
        except OSError as exc:
            self._broken(exc)
            raise SandboxError(self.dead.reason, self.dead.kind) from None  # type: ignore[union-attr]
        except BaseException:
            self._broken(None)
            raise
        result, writebacks = self._wait()
        sent = enc.payload_containers
        for index, value in writebacks:
            if 0 <= index < len(sent):
                _replace_contents(sent[index], value)
        return result

    def _wait(self) -> Any:
        while True:
            try:
                kind, value = self._receive()
                if kind == "q":
                    self._serve(value)
                    continue
            except SandboxError:
                raise
            except (EOFError, OSError, ProtocolError, pickle.UnpicklingError, TimeoutError, ValueError, TypeError,
                    KeyError, IndexError, AttributeError, MemoryError, RecursionError, struct.error) as exc:
                self._broken(exc)
                raise SandboxError(self.dead.reason, self.dead.kind) from None  # type: ignore[union-attr]
            except BaseException:
                # a check's time limit, or Ctrl-C, while the other side is busy: it cannot go on
                self._broken(None)
                raise
            if isinstance(value, BaseException):
                raise value
            if kind == "r":
                return value
            raise value  # pragma: no cover

    def _broken(self, exc: BaseException | None) -> None:
        if self.dead is not None:
            return
        if isinstance(exc, TimeoutError):
            self.dead = SandboxError(self.timeout_reason, "timeout")
        elif exc is None:
            self.dead = SandboxError("stopped by the grader", "killed")
        elif isinstance(exc, (EOFError, OSError)):
            self.dead = SandboxError("the submission's process ended unexpectedly")
        else:
            self.dead = SandboxError(f"the submission's process broke the grading protocol "
                                     f"({type(exc).__name__}: {str(exc)[:200]})")
        if self.on_dead is not None:
            self.on_dead(self.dead)

    def _serve(self, request: tuple) -> None:
        name, args, containers = request
        writebacks: list = []
        try:
            if isinstance(args, BaseException):
                raise args
            result = self._execute(name, args, containers, writebacks)
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - the requester gets it
            error: BaseException = exc
        except KeyboardInterrupt as exc:
            if not self.trusted_peer:
                raise
            error = exc
        else:
            try:
                self._send("r", lambda enc: (enc.value(result), [(i, enc.value(c)) for i, c in writebacks]))
                return
            except (ValueError, RecursionError, TypeError) as exc:
                error = ValueError(f"the result cannot be sent to the other process: {exc}")
        self._send("e", lambda enc: enc.exception(error))

    def serve_forever(self) -> None:
        """The child's loop: serve requests until the parent closes the pipe."""
        while True:
            kind, value = self._receive()
            if kind != "q":
                raise ProtocolError("expected a request")
            self._serve(value)

    def _execute(self, name: str, args: tuple, containers: list, writebacks: list) -> Any:
        if name in ("call", "callmethod", "op"):
            if name == "call":
                target, call_args, kwargs = args
                function = target
            elif name == "callmethod":
                target, attr, call_args, kwargs = args
                function = None
            else:
                target, dunder, call_args = args
                kwargs = {}
                if dunder not in FORWARDED:
                    raise ProtocolError(f"operation {dunder!r} is not forwarded")
                function = getattr(type(target), dunder, None)
                if function is None:
                    raise TypeError(f"{type(target).__name__} object has no {dunder}")
                call_args = (target,) + tuple(call_args)
            self._check_target(target)
            if type(call_args) is not tuple or type(kwargs) is not dict or not all(type(k) is str for k in kwargs):
                raise ProtocolError("malformed call")
            if function is None:
                function = self._getattr(target, attr)
            before = [_fingerprint(c) for c in containers]
            result = function(*call_args, **kwargs)
            for index, (container, fp) in enumerate(zip(containers, before)):
                if type(fp) is _Contents and not fp.same(_fingerprint(container)):
                    writebacks.append((index, container))
            return result
        if name == "getattr":
            target, attr = args
            self._check_target(target)
            return self._getattr(target, attr)
        if name in ("setattr", "delattr"):
            target, attr = args[0], args[1]
            self._check_target(target, writing=True)
            if not self._name_ok(attr):
                raise AttributeError(f"attribute {attr!r} cannot be changed from the other process")
            setattr(target, attr, args[2]) if name == "setattr" else delattr(target, attr)
            rid = self.export_ids.get(id(target))
            if rid in self.snapshots:
                self.snapshots[rid] = _STALE  # the peer's snapshot is out of date: resent with the next message
            return None
        if self.handler is not None and self.trusted_peer:
            return self.handler(name, args)
        raise ProtocolError(f"unknown request {name!r}")

    def _name_ok(self, name: Any) -> bool:
        return type(name) is str if self.trusted_peer else _public_name(name)

    def _check_target(self, target: Any, writing: bool = False) -> None:
        if self.trusted_peer:
            return
        if id(target) not in self.export_ids and id(target) not in self.type_ids:
            raise PermissionError("the submission may only use the objects the checks gave it")
        if writing and (isinstance(target, (type, types.FunctionType, types.MethodType, types.BuiltinFunctionType))
                        or not _layout(type(target)).snapshot):
            raise PermissionError(f"a {type(target).__name__} of the checks cannot be changed")

    def _getattr(self, target: Any, attr: Any) -> Any:
        if not self._name_ok(attr):
            raise AttributeError(f"attribute {attr!r} is not accessible from the other process")
        value = getattr(target, attr)
        if not self.trusted_peer and isinstance(value, _UNSENDABLE):
            raise AttributeError(f"attribute {attr!r} is not accessible from the other process")
        return value

    # ------------------------------------------------------------------ lifetime
    def reset(self) -> None:
        """Forget the objects exchanged so far (types are kept): called between checks."""
        self.exports.clear()
        self.export_ids.clear()
        self.snapshots.clear()
        self.mirrors.clear()
        self.mirror_ids.clear()
        self.mirror_ids.update(self.class_mirror_ids)
        self.mirror_fps.clear()
        self.dirty.clear()
        self.arr_out.clear()
        self.arr_in.clear()
        self.arr_in_rev.clear()
        self.id_keyed_dicts.clear()
