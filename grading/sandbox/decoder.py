"""Decoding messages: values, the receiver's own copies of by-name objects, and mirrors of the sender's."""

from __future__ import annotations

import builtins
import re
from typing import TYPE_CHECKING, Any

from .base import ProtocolError, StaleReference, _ATOMS, _MISSING, _RESERVED
from .names import _BYNAME_PACKAGES, _is_dunder, _resolve
from .mirrors import Mirror, _CONTAINERS, _Layout, _fp, _layout, _make_instance_class, _mirror_layout, _state, _text

if TYPE_CHECKING:
    from .connection import Connection

_DTYPE = re.compile(r"[<>|=]?[biufc]\d{1,2}")
_exception_classes: dict[tuple[str, type], type] = {}


def _exception_class(name: str, base: type) -> type:
    key = (name, base)
    klass = _exception_classes.get(key)
    if klass is None:
        def __str__(self: BaseException) -> str:
            return getattr(self, "_sbx_text", "")

        safe = name.rsplit(".", 1)[-1]
        klass = type(safe if safe.isidentifier() else base.__name__, (base,),
                     {"__str__": __str__, "__module__": "builtins"})
        _exception_classes[key] = klass
    return klass


class _Decoder:
    """Turns one message's plain data back into values: atoms, containers, mirrors of the sender's
    objects and our own objects."""

    def __init__(self, conn: Connection):
        self.conn = conn
        self.memo: dict[int, Any] = {}
        self.containers: list = []
        self.fills: list = []
        self.strict = not conn.trusted_peer
        self.new_copies: list[int] = []

    def _resolve(self, module_name: Any, name: Any, strict: bool) -> Any:
        """Our own copy of a by-name global; the connection hears of each one from minitorch (whose code then
        runs on this side when it is called: see ``Connection.on_minitorch``)."""
        obj = _resolve(module_name, name, strict=strict)
        if self.conn.on_minitorch is not None and module_name.split(".")[0] in _BYNAME_PACKAGES:
            self.conn.on_minitorch()
        return obj

    def definitions(self, defs: Any) -> None:
        """Types, and empty mirrors of new objects (filled by :meth:`fill` once every value is decoded)."""
        conn = self.conn
        if type(defs) is not list:
            raise ProtocolError("malformed definitions")
        for entry in defs:
            if type(entry) is not tuple or not entry:
                raise ProtocolError("malformed definition")
            if entry[0] == "t" and len(entry) == 3 and type(entry[1]) is int and type(entry[2]) is dict:
                conn.type_infos[entry[1]] = entry[2]
            elif entry[0] == "o" and len(entry) == 4 and type(entry[1]) is int and entry[2] in conn.type_infos:
                _, rid, tid, items = entry
                if rid in conn.mirrors:
                    raise ProtocolError("an object defined twice")
                klass = self._instance_class(tid)
                mirror = object.__new__(klass)
                if issubclass(klass, Mirror):
                    object.__setattr__(mirror, "_sbx_rid", rid)
                conn.mirrors[rid] = mirror
                conn.mirror_ids[id(mirror)] = rid
                if items is not None:
                    self.fills.append((mirror, rid, items))
            else:
                raise ProtocolError("malformed definition")

    def _instance_class(self, tid: int) -> type:
        conn = self.conn
        klass = conn.type_classes.get(tid)
        if klass is None:
            info = conn.type_infos[tid]
            local = info.get("local")
            if local and info.get("snapshot") and type(local) in (tuple, list) and len(local) == 2:
                try:
                    candidate = self._resolve(local[0], local[1], strict=self.strict)
                except (ProtocolError, ImportError):
                    candidate = None
                if isinstance(candidate, type) and _layout(candidate).snapshot:
                    klass = candidate
            if klass is None:
                klass = _make_instance_class(conn, tid, info)
            conn.type_classes[tid] = klass
        return klass

    def fill(self) -> None:
        """Set the attributes of the mirrors defined in this message."""
        conn = self.conn
        setattr_ = object.__setattr__
        layouts: dict = {}
        for mirror, rid, entry in self.fills:
            klass = type(mirror)
            layout = layouts.get(klass)
            if layout is None:
                layout = layouts[klass] = _mirror_layout(mirror)
            names, values = self.state(entry, layout)
            for name, value in zip(names, values):
                try:
                    setattr_(mirror, name, value)
                except (AttributeError, TypeError):
                    continue
            if not isinstance(mirror, Mirror) or not _CONTAINERS.isdisjoint(map(type, values)):
                conn.mirror_fps[rid] = _fp(_state(mirror, layout))
        self.fills = []

    def state(self, entry: Any, layout: _Layout) -> tuple:
        """Decode a snapshot: (names, values)."""
        if type(entry) is not list or len(entry) != 2 or type(entry[1]) is not list:
            raise ProtocolError("malformed snapshot")
        names, values = entry
        if names is None:
            names = layout.slots
        elif type(names) is not list or not all(type(n) is str and n.isidentifier() and not _is_dunder(n)
                                                and not n.startswith(_RESERVED) for n in names):
            raise ProtocolError("malformed snapshot")
        if len(names) != len(values):
            raise ProtocolError("malformed snapshot")
        value, atoms, mirrors = self.value, _ATOMS, self.conn.mirrors
        out = []
        for v in values:
            tv = type(v)
            if tv in atoms:
                out.append(v)
            elif tv is tuple and v and v[0] == "T":  # a tuple of objects (a node's parents), inline
                items = []
                for item in v[1]:
                    if type(item) is tuple and item and item[0] == "R":
                        mirror = mirrors.get(item[1])
                        if mirror is None:
                            raise StaleReference("an object of an earlier check was used in this one")
                        items.append(mirror)
                    else:
                        items.append(value(item))
                out.append(tuple(items))
            else:
                out.append(value(v))
        return names, out

    def value(self, x: Any) -> Any:
        t = type(x)
        if t in _ATOMS:
            return x
        if t is not tuple or not x:
            raise ProtocolError("malformed value")
        tag = x[0]
        conn = self.conn
        if tag == "R":
            mirror = conn.mirrors.get(x[1])
            if mirror is None:
                raise StaleReference("an object of an earlier check was used in this one")
            return mirror
        if tag == "T":
            return tuple([self.value(v) for v in x[1]])
        if tag == "O":
            obj = conn.exports.get(x[1], _MISSING)
            if obj is _MISSING:
                obj = conn.type_exports.get(x[1], _MISSING)
                if obj is _MISSING:
                    raise StaleReference("an object of an earlier check was used in this one")
            return obj
        if tag == "T":
            return tuple([self.value(v) for v in x[1]])
        if tag == "L":
            out: list = []
            self.memo[x[1]] = out
            self.containers.append(out)
            out.extend([self.value(v) for v in x[2]])
            return out
        if tag == "D":
            d: dict = {}
            self.memo[x[1]] = d
            self.containers.append(d)
            for k, v in x[2]:
                d[self.value(k)] = self.value(v)
            return d
        if tag == "S":
            s: set = set()
            self.memo[x[1]] = s
            self.containers.append(s)
            s.update([self.value(v) for v in x[2]])
            return s
        if tag == "M":
            return self.memo[x[1]]
        if tag == "K":
            return self._class(x[1])
        if tag == "G":
            return self._resolve(x[1], x[2], strict=self.strict)
        if tag == "A":
            return self._array(x)
        if tag == "N":
            import numpy as np

            dtype = self._dtype(x[1])
            if type(x[2]) is not bytes or len(x[2]) != dtype.itemsize:
                raise ProtocolError("malformed number")
            return np.frombuffer(x[2], dtype=dtype)[0]
        if tag == "F":
            return frozenset([self.value(v) for v in x[1]])
        if tag == "IK":
            return self._id_keyed(x)
        if tag == "NT":
            klass = self._resolve(x[1], x[2], strict=self.strict)
            items = [self.value(v) for v in x[3]]
            if not (isinstance(klass, type) and issubclass(klass, tuple) and hasattr(klass, "_make")):
                raise ProtocolError("malformed named tuple")
            return klass._make(items)
        if tag == "B":
            out_b = bytearray(x[2])
            self.memo[x[1]] = out_b
            self.containers.append(out_b)
            return out_b
        if tag == "C":
            return complex(float(x[1]), float(x[2]))
        if tag == "NI":
            return NotImplemented
        if tag == "EL":
            return Ellipsis
        if tag == "SL":
            return slice(self.value(x[1]), self.value(x[2]), self.value(x[3]))
        if tag == "RG":
            if not all(type(v) is int for v in x[1:4]):
                raise ProtocolError("malformed range")
            return range(x[1], x[2], x[3])
        raise ProtocolError(f"unknown tag {tag!r}")

    def _id_keyed(self, x: tuple) -> dict:
        conn = self.conn
        d: dict = {}
        self.memo[x[1]] = d
        for tag, v in x[2]:
            if type(tag) is not tuple or len(tag) != 2 or type(tag[1]) is not int:
                raise ProtocolError("malformed id-keyed dict")
            if tag[0] == "P":
                key: Any = tag[1]
            else:
                copy = conn.arr_in.get(tag[1])
                key = id(copy) if copy is not None else ("peer", tag[1])
            d[key] = self.value(v)
        conn.id_keyed_dicts.append(d)
        return d

    def _dtype(self, text: Any) -> Any:
        import numpy as np

        if type(text) is not str or not _DTYPE.fullmatch(text):
            raise ProtocolError("malformed dtype")
        return np.dtype(text)

    def _array(self, x: tuple) -> Any:
        import numpy as np

        _, index, dtype_text, shape, data, tag = x
        dtype = self._dtype(dtype_text)
        if type(shape) is not list or not all(type(n) is int and n >= 0 for n in shape) or type(data) is not bytes \
                or type(tag) is not tuple or len(tag) != 2 or type(tag[1]) is not int:
            raise ProtocolError("malformed array")
        count = 1
        for n in shape:
            count *= n
        if count * dtype.itemsize != len(data):
            raise ProtocolError("malformed array")
        conn = self.conn
        fresh = np.frombuffer(data, dtype=dtype).reshape(shape)
        # An array keeps its identity across the boundary: ours comes back as itself, and the copy of one of
        # the sender's is reused (updated in place if the sender changed it).
        known = conn.arr_out.get(tag[1]) if tag[0] == "P" else conn.arr_in.get(tag[1]) if tag[0] == "S" else None
        if known is not None and known.shape == fresh.shape and known.dtype == fresh.dtype:
            if known.tobytes() != data:
                if known.flags.writeable:
                    known[...] = fresh
                else:
                    known = None
        else:
            known = None
        if known is None:
            array = fresh.copy()
            if tag[0] == "S":
                old = conn.arr_in.get(tag[1])
                if old is not None:
                    conn.arr_in_rev.pop(id(old), None)
                conn.arr_in[tag[1]] = array
                conn.arr_in_rev[id(array)] = tag[1]
                self.new_copies.append(tag[1])
        else:
            array = known
        self.memo[index] = array
        self.containers.append(array)
        return array

    def _class(self, tid: Any) -> Any:
        conn = self.conn
        mirror = conn.class_mirrors.get(tid)
        if mirror is not None:
            return mirror
        info = conn.type_infos.get(tid) if type(tid) is int else None
        if info is None:
            raise ProtocolError("unknown class")
        local = info.get("local")
        if local and type(local) in (tuple, list) and len(local) == 2:
            try:
                return self._resolve(local[0], local[1], strict=self.strict)
            except (ProtocolError, ImportError):
                pass
        mirror = object.__new__(conn.class_mirror_type)
        object.__setattr__(mirror, "_sbx_rid", tid)
        object.__setattr__(mirror, "_sbx_tinfo", info)
        object.__setattr__(mirror, "_sbx_stubs", {})
        conn.class_mirrors[tid] = mirror
        conn.class_mirror_ids[id(mirror)] = tid
        conn.mirror_ids[id(mirror)] = tid
        return mirror

    def exception(self, payload: Any) -> BaseException:
        if type(payload) is not tuple or len(payload) != 5:
            raise ProtocolError("malformed exception")
        names, qualname, text, where, extra = payload
        base: type = Exception
        for name in names if type(names) is list else []:
            candidate = getattr(builtins, name, None) if type(name) is str else None
            if isinstance(candidate, type) and issubclass(candidate, BaseException):
                base = candidate
                break
        if not issubclass(base, (Exception, SystemExit)):
            base = Exception  # KeyboardInterrupt, GeneratorExit: never raised as such on this side
        klass = _exception_class(_text(qualname, base.__name__), base)
        exc = klass.__new__(klass)
        BaseException.__init__(exc, _text(text, "", 4000))
        exc._sbx_text = _text(text, "", 4000) + _text(where, "", 1000)  # type: ignore[attr-defined]
        if issubclass(base, StopIteration) and extra is not None:
            try:
                exc.value = self.value(extra)  # type: ignore[attr-defined]
            except (ProtocolError, StaleReference):
                pass
        return exc
