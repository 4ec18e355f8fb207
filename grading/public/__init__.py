"""The public reference: what the checks compare with where the reference solutions are not shipped.

The student edition (:mod:`grading.edition`) has no ``solutions/``. Its visible checks still need a correct
implementation of every name a solution cell defines (the expected values, and the objects some checks use
directly). Here it comes from minitorch, which students have anyway because the book teaches it: each
``public/exNN.py`` defines ``define(namespace) -> {name: object}``, thin adapters from minitorch's public code
(and the grader's own stand-ins, :mod:`grading.probes.standins`) to the notebook's API, never code from
``solutions/``. :func:`grading.notebooks.load_public_reference` executes the released notebook's given cells
and puts these objects where the solution cells would have defined them.

Every object is *trusted*: while it runs, the in-process tripwire (a profile hook, :mod:`grading.tripwire`) is
paused, because a check that calls the reference directly (``t.reference("Dual")``) would otherwise see the
reference's calls of minitorch as the student's.
"""

from __future__ import annotations

import functools
import importlib
import sys
from collections.abc import Callable
from typing import Any


def trusted(function: Callable) -> Callable:
    """``function``, run with this thread's profile hook (the in-process tripwire) switched off."""

    @functools.wraps(function)
    def call(*args: Any, **kwargs: Any) -> Any:
        hook = sys.getprofile()
        sys.setprofile(None)
        try:
            return function(*args, **kwargs)
        finally:
            sys.setprofile(hook)

    call.__wrapped_public__ = True
    return call


def trusted_class(cls: type) -> type:
    """``cls`` with every function defined in its body (static and class methods too) made :func:`trusted`."""
    for name, member in list(vars(cls).items()):
        if isinstance(member, staticmethod):
            setattr(cls, name, staticmethod(trusted(member.__func__)))
        elif isinstance(member, classmethod):
            setattr(cls, name, classmethod(trusted(member.__func__)))
        elif callable(member) and not isinstance(member, type) and not getattr(member, "__wrapped_public__", False):
            setattr(cls, name, trusted(member))
    return cls


def _trust(obj: Any) -> Any:
    if isinstance(obj, type):
        return obj  # a class is made trusted where it is defined (trusted_class), or is minitorch's own
    return trusted(obj) if callable(obj) else obj


def definitions(exercise: str, namespace: dict) -> dict[str, Any]:
    """The public reference's objects for ``exercise`` (``grading/public/<exercise>.py``), bound to the reference
    ``namespace`` (the released notebook's given code), each trusted. Raises ``LookupError`` naming the exercise
    when it has none."""
    try:
        module = importlib.import_module(f"{__name__}.{exercise}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{exercise}":
            raise
        raise LookupError(
            f"{exercise} has no public reference (grading/public/{exercise}.py): without solutions/ its checks "
            "have nothing to compare with"
        ) from None
    return {name: _trust(obj) for name, obj in module.define(namespace).items()}
