"""Mirrors: local stand-ins for the other process's objects, with a snapshot of their data (types,
layouts, the mirror classes, fingerprints that tell what changed)."""

from __future__ import annotations

import contextlib
import operator
import sys
import types
from typing import TYPE_CHECKING, Any, Callable

from .base import _ATOMS, _MISSING, _RESERVED
from .names import _Registry, _UNSENDABLE, _is_dunder, _public_name

if TYPE_CHECKING:
    from .connection import Connection

#: Special methods a mirror forwards to the owner (when the owner's type defines them).
FORWARDED = frozenset("""
__add__ __radd__ __iadd__ __sub__ __rsub__ __isub__ __mul__ __rmul__ __imul__ __truediv__ __rtruediv__
__itruediv__ __floordiv__ __rfloordiv__ __ifloordiv__ __mod__ __rmod__ __imod__ __pow__ __rpow__ __ipow__
__matmul__ __rmatmul__ __imatmul__ __divmod__ __rdivmod__ __and__ __rand__ __iand__ __or__ __ror__ __ior__
__xor__ __rxor__ __ixor__ __lshift__ __rlshift__ __rshift__ __rrshift__ __neg__ __pos__ __abs__ __invert__
__lt__ __le__ __gt__ __ge__ __eq__ __ne__ __hash__ __float__ __int__ __index__ __complex__ __round__
__trunc__ __floor__ __ceil__ __bool__ __len__ __iter__ __next__ __reversed__ __contains__ __getitem__
__setitem__ __delitem__ __call__ __enter__ __exit__ __repr__ __str__ __format__ __array__
""".split())
_OBJECT_DEFAULTS = {name: getattr(object, name, None) for name in FORWARDED}


class _Layout:
    """How instances of a type are snapshotted: their slots, whether they have a ``__dict__``, and
    which names a data descriptor hides (a property's value is never snapshotted)."""

    __slots__ = ("snapshot", "slots", "has_dict", "hidden", "getter", "single")

    def __init__(self, tp: type | None = None, slots: tuple = (), has_dict: bool = False):
        self.slots = tuple(slots)
        self.hidden: frozenset = frozenset()
        self.has_dict = has_dict
        self.snapshot = True
        self._finish()
        if tp is None:
            return
        self.has_dict = bool(getattr(tp, "__dictoffset__", 0))
        self.snapshot = (tp.__getattribute__ is object.__getattribute__ and tp.__module__ != "builtins"
                         and not issubclass(tp, (type, BaseException) + _UNSENDABLE))
        if not self.snapshot:
            return
        slots: list[str] = []
        descriptors: set[str] = set()
        for klass in tp.__mro__:
            own = klass.__dict__.get("__slots__", ())
            own = (own,) if isinstance(own, str) else tuple(own)
            mangled = [f"_{klass.__name__.lstrip('_')}{s}" if s.startswith("__") and not s.endswith("__") else s
                       for s in own]
            for slot in mangled:
                if slot not in ("__dict__", "__weakref__") and slot not in slots:
                    slots.append(slot)
            for name, value in klass.__dict__.items():
                if name not in mangled and (hasattr(type(value), "__set__") or hasattr(type(value), "__delete__")):
                    descriptors.add(name)
        self.slots = tuple(s for s in slots if s.isidentifier() and not _is_dunder(s) and not s.startswith(_RESERVED))
        self.hidden = frozenset(descriptors - set(self.slots))
        self._finish()

    def _finish(self) -> None:
        # Objects with slots only: one C call reads them all (when they are all set).
        self.getter = operator.attrgetter(*self.slots) if self.slots and not self.has_dict else None
        self.single = len(self.slots) == 1


_layouts: dict[type, _Layout] = {}


def _layout(tp: type) -> _Layout:
    layout = _layouts.get(tp)
    if layout is None:
        layout = _layouts[tp] = _Layout(tp)
    return layout


def _snapshot_items(obj: Any, layout: _Layout) -> list:
    """``[(name, value)]`` for the data attributes of ``obj``: its slots and its ``__dict__``."""
    items = []
    get = object.__getattribute__
    for slot in layout.slots:
        try:
            items.append((slot, get(obj, slot)))
        except AttributeError:
            pass
    if layout.has_dict:
        d = get(obj, "__dict__")
        if type(d) is dict:
            hidden = layout.hidden
            for name, value in d.items():
                if type(name) is str and name not in hidden and not _is_dunder(name) \
                        and not name.startswith(_RESERVED) and name.isidentifier():
                    items.append((name, value))
    return items


def _state(obj: Any, layout: _Layout) -> tuple:
    """``(names, values)`` of ``obj``'s data attributes; names is None for "the slots, in order"."""
    getter = layout.getter
    if getter is not None:
        try:
            values = getter(obj)
            return None, (values,) if layout.single else values
        except AttributeError:
            pass
    items = _snapshot_items(obj, layout)
    return tuple([n for n, _ in items]), tuple([v for _, v in items])


#: Attributes that are dicts keyed by ``id(array)``: their keys are translated between the two sides.
_ID_KEYED = {"minitorch.memory.MemoryReport": frozenset({"_arrays"})}


def _qualified(tp: type) -> str:
    return f"{tp.__module__}.{tp.__qualname__}"


def _lookup(tp: type, name: str) -> Any:
    """``name`` as the type's instances see it (the class's MRO only, never the metaclass)."""
    for klass in tp.__mro__:
        if name in klass.__dict__:
            return klass.__dict__[name]
    return None


def _type_info(tp: type, registry: _Registry) -> dict:
    """What the receiver needs to build the mirror class for instances of ``tp``."""
    layout = _layout(tp)
    dunders = sorted(name for name in FORWARDED
                     if _lookup(tp, name) is not None
                     and (_lookup(tp, name) is not _OBJECT_DEFAULTS.get(name) or name == "__repr__"))
    hash_method = _lookup(tp, "__hash__")
    if hash_method is None:
        hashing = "none"
    elif hash_method is object.__hash__:
        hashing = "id"
    else:
        hashing = "fwd"
    methods, props, data = set(), set(), {}
    for klass in reversed(tp.__mro__[:-1]):
        if klass.__module__ == "builtins" and klass is not tp:
            continue
        for name, value in klass.__dict__.items():
            if not _public_name(name) or name in layout.slots:
                continue
            methods.discard(name)
            props.discard(name)
            data.pop(name, None)
            if isinstance(value, property):
                props.add(name)
            elif isinstance(value, (types.FunctionType, staticmethod, classmethod)):
                methods.add(name)
            elif type(value) in _ATOMS and (type(value) not in (str, bytes) or len(value) <= 1000):
                data[name] = value
    priority = getattr(tp, "__array_priority__", None)
    return {"name": str(tp.__name__), "qualname": str(tp.__qualname__), "module": str(tp.__module__),
            "local": registry.names.get(id(tp)), "snapshot": layout.snapshot, "slots": list(layout.slots),
            "dict": layout.has_dict, "dunders": dunders,
            "eq": "fwd" if _lookup(tp, "__eq__") is not object.__eq__ else "id",
            "hash": hashing, "methods": sorted(methods - props), "props": sorted(props),
            "priority": float(priority) if type(priority) in (int, float) else None, "mro": [],
            "class_data": data}


# --- mirrors ---------------------------------------------------------------------------------------------

class Mirror:
    """Base of every mirror class: a local stand-in for an object of the other process."""

    __slots__ = ()


def _request(self: Any, op: tuple) -> Any:
    return type(self)._sbx_conn.request(op)


def _forwarder(name: str) -> Callable:
    check = {"__hash__": int, "__len__": int, "__index__": int, "__int__": int, "__float__": float,
             "__bool__": bool, "__repr__": str, "__str__": str, "__format__": str}.get(name)
    if name == "__call__":
        def method(self, *args, **kwargs):  # noqa: ANN001, ANN202
            return _request(self, ("call", self, args, kwargs))
    elif check is not None:
        def method(self, *args):  # noqa: ANN001, ANN202
            value = _request(self, ("op", self, name, args))
            if type(value) is not check:
                raise TypeError(f"{name} returned {type(value).__name__}, not {check.__name__}")
            return value
    else:
        def method(self, *args):  # noqa: ANN001, ANN202
            return _request(self, ("op", self, name, args))
    method.__name__ = name
    return method


def _method_stub(name: str) -> Callable:
    def method(self, *args, **kwargs):  # noqa: ANN001, ANN202
        return _request(self, ("callmethod", self, name, args, kwargs))
    method.__name__ = name
    return method


def _property_stub(name: str) -> property:
    def get(self):  # noqa: ANN001, ANN202
        return _request(self, ("getattr", self, name))

    def put(self, value):  # noqa: ANN001, ANN202
        _request(self, ("setattr", self, name, value))

    return property(get, put)


def _mirror_getattr(self, name):  # noqa: ANN001, ANN202
    if _is_dunder(name) or name.startswith(_RESERVED):
        raise AttributeError(name)
    return _request(self, ("getattr", self, name))


def _mirror_setattr_remote(self, name, value):  # noqa: ANN001, ANN202
    _request(self, ("setattr", self, name, value))


def _mirror_delattr_remote(self, name):  # noqa: ANN001, ANN202
    _request(self, ("delattr", self, name))


def _mirror_setattr_local(self, name, value):  # noqa: ANN001, ANN202
    object.__setattr__(self, name, value)
    type(self)._sbx_conn.dirty.add(object.__getattribute__(self, "_sbx_rid"))


def _mirror_delattr_local(self, name):  # noqa: ANN001, ANN202
    object.__delattr__(self, name)
    type(self)._sbx_conn.dirty.add(object.__getattribute__(self, "_sbx_rid"))


def _mirror_reduce(self, *args):  # noqa: ANN001, ANN202
    raise TypeError(f"a {type(self).__name__} of the other process cannot be pickled or copied")


def _text(value: Any, default: str, limit: int = 200) -> str:
    return value[:limit] if type(value) is str else default


def _mirror_layout(mirror: Any) -> _Layout:
    klass = type(mirror)
    layout = klass.__dict__.get("_sbx_layout") if issubclass(klass, Mirror) else None
    return layout if layout is not None else _layout(klass)


def _make_instance_class(conn: Connection, tid: int, info: dict) -> type:
    """The class of the mirrors of one remote type."""
    ns: dict[str, Any] = {"__module__": _text(info.get("module"), "remote"),
                          "__qualname__": _text(info.get("qualname"), "Remote"),
                          "_sbx_conn": conn, "_sbx_tid": tid, "_sbx_info": info,
                          "__reduce__": _mirror_reduce, "__reduce_ex__": _mirror_reduce,
                          "__copy__": _mirror_reduce, "__deepcopy__": _mirror_reduce}
    slots = [s for s in info.get("slots", []) if type(s) is str and s.isidentifier() and not _is_dunder(s)
             and not s.startswith(_RESERVED)]
    if info.get("snapshot"):
        ns["__slots__"] = tuple(slots) + ("_sbx_rid", "__weakref__") + (("__dict__",) if info.get("dict") else ())
        ns["_sbx_layout"] = _Layout(None, tuple(slots), bool(info.get("dict")))
        ns["__setattr__"] = _mirror_setattr_local
        ns["__delattr__"] = _mirror_delattr_local
    else:
        ns["__slots__"] = ("_sbx_rid", "__weakref__")
        ns["__setattr__"] = _mirror_setattr_remote
        ns["__delattr__"] = _mirror_delattr_remote
    ns["__getattr__"] = _mirror_getattr
    for name in info.get("methods", []):
        if _public_name(name) and name not in slots:
            ns[name] = _method_stub(name)
    for name in info.get("props", []):
        if _public_name(name) and name not in slots and name not in ns:
            ns[name] = _property_stub(name)
    dunders = [d for d in info.get("dunders", []) if d in FORWARDED]
    for name in dunders:
        if name not in ("__eq__", "__ne__", "__hash__"):
            ns[name] = _forwarder(name)
    if info.get("eq") == "fwd":
        ns["__eq__"] = _forwarder("__eq__")
        if "__ne__" in dunders:
            ns["__ne__"] = _forwarder("__ne__")
    ns["__hash__"] = {"none": None, "fwd": _forwarder("__hash__")}.get(info.get("hash"), object.__hash__)
    if type(info.get("priority")) is float:
        ns["__array_priority__"] = info["priority"]
    class_data = info.get("class_data")
    if type(class_data) is dict:
        for name, value in class_data.items():
            if _public_name(name) and name not in ns and name not in slots and type(value) in _ATOMS:
                ns[name] = value
    name = _text(info.get("name"), "Remote")
    return type(name if name.isidentifier() else "Remote", (Mirror,), ns)


class _ClassMirror(Mirror):
    """A class of the other process: calling it makes an instance there; ``isinstance`` works with
    mirrors of its instances."""

    __slots__ = ("_sbx_rid", "_sbx_tinfo", "_sbx_stubs", "__weakref__")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return _request(self, ("call", self, args, kwargs))

    def _sbx_method(self, name: str) -> Callable:
        """``Class.method``: calling it is one request (``Class.apply(...)``, ``fn.backward(ctx, g)``)."""
        stubs = self._sbx_stubs
        stub = stubs.get(name)
        if stub is None:
            def stub(*args: Any, **kwargs: Any) -> Any:
                return _request(self, ("callmethod", self, name, args, kwargs))
            stub.__name__ = stub.__qualname__ = name
            stubs[name] = stub
        return stub

    def _sbx_mro_of(self, klass: Any) -> Any:
        if isinstance(klass, _ClassMirror):
            return klass._sbx_tinfo.get("mro", ())
        if getattr(klass, "_sbx_conn", None) is type(self)._sbx_conn:
            return getattr(klass, "_sbx_info", {}).get("mro", ())
        return ()

    def __instancecheck__(self, obj: Any) -> bool:
        return self._sbx_rid in self._sbx_mro_of(type(obj))

    def __subclasscheck__(self, klass: Any) -> bool:
        return self._sbx_rid in self._sbx_mro_of(klass)

    def __getattr__(self, name: str) -> Any:
        if name in ("__name__", "__qualname__"):
            return _text(self._sbx_tinfo.get(name.strip("_")), "Remote")
        info = self._sbx_tinfo
        data = info.get("class_data")
        if type(data) is dict and name in data and _public_name(name):
            return data[name]
        if name in info.get("methods", ()) and _public_name(name):
            return self._sbx_method(name)
        return _mirror_getattr(self, name)

    def __setattr__(self, name: str, value: Any) -> None:
        _mirror_setattr_remote(self, name, value)

    def __repr__(self) -> str:
        return f"<class '{_text(self._sbx_tinfo.get('qualname'), 'Remote')}'>"

    __reduce__ = __reduce_ex__ = _mirror_reduce


# --- fingerprints ----------------------------------------------------------------------------------------

class _Contents:
    """What a mutable container held at the last synchronisation (it keeps the items alive, so that
    their ids cannot be reused)."""

    __slots__ = ("obj", "data", "kind")

    def __init__(self, obj: Any, data: Any, kind: str):
        self.obj, self.data, self.kind = obj, data, kind

    def same(self, other: Any) -> bool:
        if type(other) is not _Contents or other.obj is not self.obj:
            return False
        a, b = self.data, other.data
        if self.kind == "value":  # bytes, or an array's (dtype, shape, bytes)
            return a == b
        if len(a) != len(b):
            return False
        if self.kind == "set":  # the same members (by identity)
            return {id(x) for x in a} == {id(x) for x in b}
        for x, y in zip(a, b):
            if x is not y and not (type(x) is tuple and type(y) is tuple and len(x) == 2 and x[0] is y[0]
                                   and x[1] is y[1]):
                return False
        return True


_CONTAINERS: set = {list, dict, set, bytearray}
with contextlib.suppress(ImportError):
    import numpy as _numpy

    _CONTAINERS.add(_numpy.ndarray)


def _fingerprint(value: Any) -> Any:
    t = type(value)
    if t in _ATOMS or t is tuple or t is frozenset:
        return value
    if t is list:
        return _Contents(value, tuple(value), "seq")
    if t is dict:
        return _Contents(value, tuple(value.items()), "seq")
    if t is set:
        return _Contents(value, frozenset(value), "set")
    if t is bytearray:
        return _Contents(value, bytes(value), "value")
    if t.__name__ == "ndarray" and t.__module__ == "numpy":
        # a copy of the bytes: comparing it is faster than any checksum (memcpy + memcmp)
        return _Contents(value, (value.dtype.str, value.shape, value.tobytes()), "value")
    return value


def _fp(state: tuple) -> tuple:
    """A state as it is now, for noticing later changes: the values themselves (compared by
    identity, and kept alive), with the contents of any mutable container."""
    names, values = state
    containers = _CONTAINERS
    if containers.isdisjoint(map(type, values)):
        return state
    return names, tuple([_fingerprint(v) if type(v) in containers else v for v in values])


_STALE = (("<stale>",), ())


def _same(old: tuple, new: tuple) -> bool:
    if old is new:
        return True
    if old[0] != new[0] or len(old[1]) != len(new[1]):
        return False
    for a, b in zip(old[1], new[1]):
        if a is b:
            continue
        if type(a) is _Contents and a.same(b):
            continue
        if type(a) is type(b) and type(a) in (int, float, str, bytes, bool) and a == b:
            continue
        return False
    return True


def _replace_contents(current: Any, value: Any) -> bool:
    """Make ``current`` hold what ``value`` holds, in place; False if they are not the same kind."""
    t = type(current)
    if t is not type(value):
        return False
    if t is list:
        current[:] = value
        return True
    if t is dict or t is set:
        current.clear()
        current.update(value)
        return True
    if t is bytearray:
        current[:] = value
        return True
    if t.__name__ == "ndarray" and t.__module__ == "numpy" and current.shape == value.shape \
            and current.dtype == value.dtype and current.flags.writeable:
        current[...] = value
        return True
    return False


def _delete_missing(obj: Any, layout: _Layout, names: Any, mirror: bool) -> None:
    """Attributes the other side deleted (``ctx.release()`` drops arrays) are deleted here too."""
    if names is layout.slots:
        return
    keep = set(names)
    for name, _ in _snapshot_items(obj, layout):
        if name not in keep:
            with contextlib.suppress(AttributeError, TypeError):
                object.__delattr__(obj, name) if mirror else delattr(obj, name)


def _context_released(ctx: Any, was_released: Any) -> None:
    """The other side's backward pass released one of our graph's nodes: account for it here, where
    minitorch's memory profiler recorded it."""
    if ctx.released and not was_released:
        memory = sys.modules.get("minitorch.memory")
        if memory is not None and memory._Tracking.holdings:
            memory.on_release(ctx)


#: Per class: (read the state before a write-back, act on the change after it).
_WRITE_BACK_HOOKS = {"minitorch.function.Context": (lambda ctx: getattr(ctx, "released", False), _context_released)}


def _apply_attr(obj: Any, name: str, value: Any, mirror: bool) -> None:
    """``obj.name = value``, in place when both are the same kind of container (so that other
    references to the container see the change)."""
    try:
        current = object.__getattribute__(obj, name)
    except AttributeError:
        current = _MISSING
    if current is value or _replace_contents(current, value):
        return
    if mirror:
        object.__setattr__(obj, name, value)
    else:
        setattr(obj, name, value)
