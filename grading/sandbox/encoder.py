"""Encoding values into messages: by value, by name or by reference (the receiver makes a mirror)."""

from __future__ import annotations

import traceback
from typing import TYPE_CHECKING, Any

from .base import MAX_DEPTH, PACKAGE_DIR, StaleReference, _ATOMS
from .names import _UNSENDABLE
from .mirrors import Mirror, _CONTAINERS, _ID_KEYED, _fp, _layout, _qualified, _state, _text, _type_info

if TYPE_CHECKING:
    from .connection import Connection

#: type -> True for the classes whose instances always go by reference with a snapshot (a fast path).
_PLAIN: dict[type, bool] = {}
_DICT_VIEWS = (type({}.keys()), type({}.values()), type({}.items()))


class _Encoder:
    """Turns one message's values into plain data: atoms, and tuples tagged by their first item."""

    def __init__(self, conn: Connection):
        self.conn = conn
        self.defs: list = []
        self.pending: list = []
        self.new_ids: dict[int, int] = {}      # id(obj) -> rid, for objects first sent in this message
        self.new_objs: list = []
        self.new_types: list = []
        self.snap_fps: list = []
        self.memo: dict[int, int] = {}
        self.keep: list = []
        self.payload_containers: list = []
        self.mirror_fps: list = []
        self.returned: set[int] = set()   # mirrors sent back to their owner in this message

    # ---------------------------------------------------------------- values
    def value(self, x: Any, depth: int = 0) -> Any:
        t = type(x)
        if t in _ATOMS:
            return x
        conn = self.conn
        key = id(x)
        rid = conn.mirror_ids.get(key)
        if rid is not None:
            self.returned.add(rid)
            return ("O", rid)
        if _PLAIN.get(t):
            if key not in conn.registry.names:
                rid = conn.export_ids.get(key)
                return ("R", rid if rid is not None else self.ref(x, t))
        elif t is tuple:
            if depth > MAX_DEPTH:
                raise ValueError("a value nested too deeply")
            return ("T", [self.value(v, depth + 1) for v in x])
        return self._value(x, t, depth)

    def _value(self, x: Any, t: type, depth: int) -> Any:
        conn = self.conn
        if depth > MAX_DEPTH:
            raise ValueError("a value nested too deeply")
        if isinstance(x, Mirror):
            raise StaleReference("an object of an earlier check was used in this one")
        if t is list or t is dict or t is set or t is bytearray:
            index = self.memo.get(id(x))
            if index is not None:
                return ("M", index)
            index = self._memo(x)
            if t is list:
                return ("L", index, [self.value(v, depth + 1) for v in x])
            if t is dict:
                return ("D", index, [(self.value(k, depth + 1), self.value(v, depth + 1)) for k, v in x.items()])
            if t is set:
                return ("S", index, [self.value(v, depth + 1) for v in x])
            return ("B", index, bytes(x))
        if t is frozenset:
            return ("F", [self.value(v, depth + 1) for v in x])
        if t is complex:
            return ("C", x.real, x.imag)
        if x is NotImplemented:
            return ("NI",)
        if x is Ellipsis:
            return ("EL",)
        if t is slice:
            return ("SL", self.value(x.start, depth + 1), self.value(x.stop, depth + 1), self.value(x.step, depth + 1))
        if t is range:
            return ("RG", x.start, x.stop, x.step)
        module = t.__module__
        if module == "numpy":
            encoded = self._numpy(x, t)
            if encoded is not None:
                return encoded
        elif module == "collections" and t.__name__ in ("defaultdict", "OrderedDict", "Counter", "deque"):
            if t.__name__ == "deque":
                return ("L", self._memo(x), [self.value(v, depth + 1) for v in x])
            return ("D", self._memo(x), [(self.value(k, depth + 1), self.value(v, depth + 1)) for k, v in x.items()])
        elif t in _DICT_VIEWS:
            return ("L", self._memo(x), [self.value(v, depth + 1) for v in x])
        name = conn.registry.names.get(id(x))
        if name is not None:
            return ("G", name[0], name[1])
        if isinstance(x, tuple) and hasattr(t, "_fields"):  # a namedtuple: the class if the receiver has it
            klass = conn.registry.names.get(id(t))
            items = [self.value(v, depth + 1) for v in x]
            return ("NT", klass[0], klass[1], items) if klass is not None else ("T", items)
        if isinstance(x, _UNSENDABLE):
            raise ValueError(f"a {t.__name__} cannot be sent to the other process")
        if isinstance(x, type):
            return ("K", self.type_ref(x))
        if t not in _PLAIN:
            _PLAIN[t] = _layout(t).snapshot and t.__module__ not in ("numpy", "collections") \
                and not isinstance(x, tuple) and t not in _DICT_VIEWS
        return ("R", self.ref(x, t))

    def _memo(self, x: Any) -> int:
        index = len(self.memo)
        self.memo[id(x)] = index
        self.keep.append(x)
        return index

    def _numpy(self, x: Any, t: type) -> Any:
        import numpy as np

        if t is np.ndarray and x.dtype.kind in "biufc":
            index = self.memo.get(id(x))
            if index is not None:
                return ("M", index)
            conn = self.conn
            key = id(x)
            origin = conn.arr_in_rev.get(key)
            if origin is not None:
                tag: tuple = ("P", origin)        # the receiver's own array (we hold a copy of it)
            else:
                conn.arr_out[key] = x             # ours: the receiver keeps one copy of it per check
                tag = ("S", key)
            return ("A", self._memo(x), x.dtype.str, list(x.shape), np.ascontiguousarray(x).tobytes(), tag)
        if isinstance(x, np.generic) and x.dtype.kind in "biufc":
            return ("N", x.dtype.str, x.tobytes())
        return None

    # ---------------------------------------------------------------- references
    def ref(self, x: Any, t: type) -> int:
        key = id(x)
        rid = self.new_ids.get(key)
        if rid is None:
            conn = self.conn
            rid = conn.export_ids.get(key)
            if rid is None:
                rid = conn._rid
                conn._rid += 2
                self.new_ids[key] = rid
                self.new_objs.append((rid, x))
                self.pending.append((rid, x, t))
        return rid

    def state(self, state: tuple, tp: type | None = None) -> list:
        names, values = state
        value = self.value
        keyed = _ID_KEYED.get(_qualified(tp)) if tp is not None else None
        if keyed and names is not None:
            return [list(names), [self.id_keyed(v) if n in keyed and type(v) is dict else value(v)
                                  for n, v in zip(names, values)]]
        return [list(names) if names is not None else None, [value(v) for v in values]]

    def id_keyed(self, d: dict) -> tuple:
        """A dict keyed by ``id(array)`` (minitorch's memory report): keys name the array on either side."""
        conn = self.conn
        items = []
        for key, v in d.items():
            if type(key) is int:
                origin = conn.arr_in_rev.get(key)
                tag = ("P", origin) if origin is not None else ("S", key)
            elif type(key) is tuple and len(key) == 2 and key[0] == "peer" and type(key[1]) is int:
                tag = ("P", key[1])
            else:
                continue
            items.append((tag, self.value(v)))
        return ("IK", self._memo(d), items)

    def type_ref(self, tp: type) -> int:
        conn = self.conn
        tid = conn.type_ids.get(id(tp))
        if tid is None:
            tid = self.new_ids.get(id(tp))
            if tid is None:
                tid = conn.allocate()
                self.new_ids[id(tp)] = tid
                self.new_types.append((tid, tp))
                info = _type_info(tp, conn.registry)
                self.defs.append(("t", tid, info))
                info["mro"] = [tid] + [self.type_ref(k) for k in tp.__mro__[1:] if id(k) not in conn.registry.names]
        return tid

    def flush(self) -> None:
        """Definitions of the new objects referenced so far, with snapshots of their data attributes
        (which may reference more objects: worked through iteratively, however deep the graph)."""
        pending, defs, snap_fps = self.pending, self.defs, self.snap_fps
        plans: dict = {}
        while pending:
            rid, x, t = pending.pop()
            plan = plans.get(t)
            if plan is None:
                plan = plans[t] = (self.type_ref(t), _layout(t))
            tid, layout = plan
            if not layout.snapshot:
                defs.append(("o", rid, tid, None))
                continue
            state = _state(x, layout)
            names, values = state
            snap_fps.append((rid, state if _CONTAINERS.isdisjoint(map(type, values)) else _fp(state)))
            if names is None:
                defs.append(("o", rid, tid, [None, self.values(values)]))
            else:
                defs.append(("o", rid, tid, self.state(state, t)))

    def values(self, values: tuple) -> list:
        """``[self.value(v) for v in values]``, faster for graphs: atoms, and tuples of objects, inline."""
        conn = self.conn
        mirror_ids, export_ids, new_ids, names = conn.mirror_ids, conn.export_ids, self.new_ids, conn.registry.names
        atoms, plain, value = _ATOMS, _PLAIN, self.value
        out = []
        for v in values:
            tv = type(v)
            if tv in atoms:
                out.append(v)
                continue
            if tv is not tuple:
                out.append(value(v))
                continue
            items = []
            for p in v:
                tp = type(p)
                if tp in atoms:
                    items.append(p)
                    continue
                key = id(p)
                r = mirror_ids.get(key)
                if r is not None:
                    self.returned.add(r)
                    items.append(("O", r))
                    continue
                if plain.get(tp) and key not in names:
                    r = new_ids.get(key)
                    if r is None:
                        r = export_ids.get(key)
                        if r is None:
                            r = conn._rid
                            conn._rid += 2
                            new_ids[key] = r
                            self.new_objs.append((r, p))
                            self.pending.append((r, p, tp))
                    items.append(("R", r))
                    continue
                items.append(value(p, 1))
            out.append(("T", items))
        return out

    def commit(self) -> None:
        """The message is about to be sent: the objects and types in it now exist on the other side."""
        conn = self.conn
        conn.exports.update(self.new_objs)
        types_ = {tid for tid, _ in self.new_types}
        conn.export_ids.update([(k, r) for k, r in self.new_ids.items() if r not in types_] if types_
                               else self.new_ids)
        for tid, tp in self.new_types:
            conn.type_ids[id(tp)] = tid
            conn.type_exports[tid] = tp
        conn.snapshots.update(self.snap_fps)
        conn.mirror_fps.update(self.mirror_fps)

    def exception(self, exc: BaseException) -> tuple:
        names = [k.__name__ for k in type(exc).__mro__ if k.__module__ == "builtins"]
        try:
            text = str(exc)
        except Exception:  # noqa: BLE001 - a student's __str__ may fail
            text = "<the message could not be shown>"
        where = _location(exc) if self.conn.trusted_peer else ""
        extra = None
        if isinstance(exc, StopIteration):
            try:
                extra = self.value(exc.value)
            except Exception:  # noqa: BLE001
                extra = None
        return (names, _text(type(exc).__qualname__, "Exception"), text[:4000], where, extra)


def _location(exc: BaseException) -> str:
    """Where in the submission's code an exception was raised (as ``core.describe_exception`` says it)."""
    try:
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if not f.filename.startswith(PACKAGE_DIR)]
    except Exception:  # noqa: BLE001
        return ""
    if not frames:
        return ""
    frame = frames[-1]
    where = f"in {frame.name}" if frame.name != "<module>" else "at the top level of a cell"
    line = f": {frame.line.strip()}" if frame.line else ""
    return f"  ({where}, line {frame.lineno}{line})"
