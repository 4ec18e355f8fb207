"""The sandboxed process: executes a notebook's code cells, then answers probe requests, all as plain data.

Started as ``python -I -c "...; from probes.child import main; main(TRIPWIRE_FD)"`` with the request pipe on
stdin and the reply pipe on stdout (both moved to other descriptors at once, so that what the submission
prints, even with ``os.write(1, ...)``, cannot reach the grader). Requests and replies
(:mod:`.wire` frames):

* ``{"op": "cell", "index": i, "text": source, "timeout": s}`` -> ``{"error": text or null, "notes": [...]}``;
* ``{"op": "defined", "names": [...]}`` -> ``{"defined": [true or false, ...]}``;
* ``{"op": "probe", "exercise": "ex02", "name": "order", "args": {...}, "timeout": s}`` ->
  ``{"value": data}`` or ``{"failure": [status, text]}`` (status: ``missing``, ``not_implemented``,
  ``timeout``, ``error``).

Calls of minitorch's code go to the tripwire pipe as they happen (:mod:`.audit`).
"""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import re
import sys
import tempfile
import types
import warnings
from typing import Any

from . import audit


class _ProbeTimeout(BaseException):
    pass


def _probe(request: dict, namespace: dict, cells: Any, base: Any, wire: Any, state: Any) -> dict:
    exercise, name = str(request.get("exercise")), str(request.get("name"))
    if not re.fullmatch(r"ex\d\d", exercise):
        return {"failure": ["error", f"no exercise {exercise!r}"]}
    function = getattr(importlib.import_module(f"{__package__}.{exercise}"), name, None)
    if not getattr(function, "is_probe", False):
        return {"failure": ["error", f"no probe {exercise}.{name}"]}
    timeout = float(request.get("timeout") or 10.0)
    sink = io.StringIO()
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with state.known_state(), cells.alarm(timeout, _ProbeTimeout):
                value = function(namespace, **(request.get("args") or {}))
        wire.dumps(value)  # can it be sent? (a Malformed here is the student's result's fault)
        return {"value": value}
    except _ProbeTimeout:
        return {"failure": ["timeout", f"took longer than {timeout:g} s"]}
    except base.Missing as exc:
        return {"failure": ["missing", exc.name]}
    except NotImplementedError as exc:
        return {"failure": ["not_implemented", "not implemented yet: " + base.describe(exc)]}
    except KeyboardInterrupt:
        raise
    except wire.Malformed as exc:
        return {"failure": ["error", f"the result cannot be checked: {exc}"]}
    except (Exception, SystemExit) as exc:
        return {"failure": ["error", base.describe(exc)]}


def main(tripwire_fd: int) -> int:
    rfd, wfd = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    minitorch_dir = audit.instrument(os.environ.get("SANDBOX_CODE_CACHE"))
    from . import base, cells, state, wire

    audit.install(tripwire_fd, minitorch_dir)
    with contextlib.suppress(OSError):
        os.chdir(os.environ.get("SANDBOX_WORKDIR") or tempfile.gettempdir())
    module = types.ModuleType("__main__")
    module.__dict__["display"] = lambda *args, **kwargs: None  # IPython's display(), as a no-op
    sys.modules["__main__"] = module
    namespace = module.__dict__
    # captured now: the loop keeps working if the submission replaces these names later
    read, write, epoch, limit = wire.read_frame, wire.write_frame, sys.audit, 1 << 31
    write(wfd, {"ready": True})
    while True:
        try:
            request = read(rfd, limit=limit, deadline=None)
        except EOFError:
            return 0
        epoch(audit.EPOCH)
        if request.get("op") == "cell":
            error, notes = cells.run_cell(
                int(request["index"]), str(request["text"]), namespace, float(request.get("timeout") or 60)
            )
            reply: dict = {"error": error, "notes": notes}
        elif request.get("op") == "defined":
            reply = {"defined": [name in namespace for name in request.get("names", [])]}
        else:
            reply = _probe(request, namespace, cells, base, wire, state)
        write(wfd, reply)
