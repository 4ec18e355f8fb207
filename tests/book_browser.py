"""Drive headless Chromium through the DevTools protocol, as a reader's browser.

The book's browser tests need more than ``chromium --dump-dom``: typing into the
search box, clicking a dropdown, measuring an equation's width, and recording
every request a page makes. This module starts Debian's ``chromium`` with a
DevTools port on the loopback interface and speaks the protocol over one
WebSocket (``websocket-client``, installed with the course's Jupyter stack).

It installs nothing: :func:`find_chromium` returns None where Chromium is
missing, and the tests fail with :data:`INSTALL_HINT`. ``make test`` installs it
beforehand where it can (see the Makefile's ``chromium`` target).
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import websocket

INSTALL_HINT = (
    "Chromium is not installed, so the book cannot be checked in a browser. Install it with "
    "`make chromium` (as root: apt-get install chromium) or `apt-get install chromium`, then rerun."
)


def find_chromium() -> str | None:
    """The path of a Chromium or Chrome executable on PATH, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--disable-default-apps",
    "--disable-extensions",
    "--hide-scrollbars",
)


class Browser:
    """One headless Chromium process and one page (tab) in it.

    ``with Browser(path) as page:`` starts the browser; :meth:`goto` opens a URL and
    waits for its ``load`` event; :meth:`evaluate` runs JavaScript and returns
    its value; :attr:`requests` lists every URL the page has requested.
    """

    def __init__(self, executable: str, width: int = 1280, height: int = 900, timeout_s: float = 60.0) -> None:
        self.executable, self.width, self.height, self.timeout_s = executable, width, height, timeout_s
        self.requests: list[str] = []
        self._ids = itertools.count(1)
        self._events: list[dict[str, Any]] = []

    # --- the process and the connection ---------------------------------------------
    def __enter__(self) -> Browser:
        self._profile = tempfile.TemporaryDirectory(prefix="book-chromium-")
        self._process = subprocess.Popen(
            [
                self.executable,
                *CHROMIUM_FLAGS,
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                f"--user-data-dir={self._profile.name}",
                f"--window-size={self.width},{self.height}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        endpoint = self._devtools_endpoint()
        self._socket = websocket.create_connection(endpoint, timeout=self.timeout_s, suppress_origin=True)
        target = self._call("Target.createTarget", url="about:blank")["targetId"]
        self._session = self._call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Network", "Runtime"):
            self.send(f"{domain}.enable")
        self.set_viewport(self.width, self.height)
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            self._socket.close()
        finally:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._profile.cleanup()

    def _devtools_endpoint(self) -> str:
        """Chromium prints ``DevTools listening on ws://...`` on stderr once it is ready."""
        assert self._process.stderr is not None
        deadline = time.monotonic() + self.timeout_s
        seen = []
        while time.monotonic() < deadline:
            line = self._process.stderr.readline()
            if not line and self._process.poll() is not None:
                break
            seen.append(line)
            found = re.search(r"DevTools listening on (ws://\S+)", line)
            if found:
                return found.group(1)
        raise RuntimeError(f"Chromium did not open its DevTools port: {''.join(seen)[-1500:]}")

    # --- the protocol -------------------------------------------------------------------
    def _call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        message_id = next(self._ids)
        message: dict[str, Any] = {"id": message_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        self._socket.send(json.dumps(message))
        deadline = time.monotonic() + self.timeout_s
        while time.monotonic() < deadline:
            reply = json.loads(self._socket.recv())
            if reply.get("id") == message_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self._record(reply)
        raise TimeoutError(f"{method}: no answer from Chromium in {self.timeout_s} s")

    def _record(self, event: dict[str, Any]) -> None:
        if event.get("method") == "Network.requestWillBeSent":
            self.requests.append(event["params"]["request"]["url"])
        self._events.append(event)

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        """Send one DevTools command to the page and return its result."""
        return self._call(method, self._session, **params)

    def _wait_for_event(self, method: str) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout_s
        while time.monotonic() < deadline:
            for index, event in enumerate(self._events):
                if event.get("method") == method:
                    del self._events[: index + 1]
                    return event
            self._events.clear()
            self._record(json.loads(self._socket.recv()))
        raise TimeoutError(f"no {method} event in {self.timeout_s} s")

    # --- what a test does with a page --------------------------------------------------------
    def set_viewport(self, width: int, height: int) -> None:
        """Lay the page out at ``width`` x ``height`` CSS pixels (a phone when narrower than 500)."""
        self.width, self.height = width, height
        self.send(
            "Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=width < 500
        )

    def goto(self, url: str) -> None:
        """Open ``url`` and wait for its ``load`` event and for MathJax, when the page has it."""
        self._events.clear()
        self.send("Page.navigate", url=url)
        self.wait_loaded()

    @property
    def location(self) -> str:
        """The URL of the page shown now."""
        return str(self.evaluate("location.href"))

    def follow(self, script: str) -> None:
        """Run JavaScript that leaves the page (a click on a link, a form's submit) and wait for the next one."""
        self._events.clear()
        self.evaluate(script)
        self.wait_loaded()

    def wait_loaded(self) -> None:
        """Wait for the page's ``load`` event, then for MathJax to finish typesetting."""
        self._wait_for_event("Page.loadEventFired")
        self.evaluate(
            "window.MathJax && MathJax.startup && MathJax.startup.promise "
            "? MathJax.startup.promise.then(() => true) : true"
        )

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (promises are awaited)."""
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(
                f"JavaScript failed: {result['exceptionDetails'].get('exception', {}).get('description')}"
                f"\nin: {expression[:300]}"
            )
        return result["result"].get("value")

    def wait_for(self, condition: str, timeout_s: float | None = None) -> None:
        """Poll a JavaScript condition until it is true."""
        deadline = time.monotonic() + (timeout_s or self.timeout_s)
        while not self.evaluate(f"Boolean({condition})"):
            if time.monotonic() > deadline:
                raise TimeoutError(f"the page never satisfied: {condition}")
            time.sleep(0.1)

    def screenshot(self, path: Path, full_page: bool = True) -> None:
        """Write a PNG of the page (the whole page, or the viewport) to ``path``."""
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            height = int(self.evaluate("document.documentElement.scrollHeight"))
            params.update(
                captureBeyondViewport=True,
                clip={"x": 0, "y": 0, "width": self.width, "height": min(height, 16000), "scale": 1},
            )
        data = self.send("Page.captureScreenshot", **params)["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))

    def print_to_pdf(self, path: Path) -> None:
        """Print the page to an A4 PDF with its backgrounds, as a reader's 'Save as PDF' would."""
        data = self.send(
            "Page.printToPDF",
            printBackground=True,
            paperWidth=8.27,
            paperHeight=11.69,
            marginTop=0.6,
            marginBottom=0.6,
            marginLeft=0.6,
            marginRight=0.6,
            transferMode="ReturnAsBase64",
        )["data"]
        path.write_bytes(base64.b64decode(data))


# Display equations wider than the column that holds them, measured in the page: MathJax
# puts each display equation in <mjx-container display="true">; its typeset width is
# that of its first child, and the column is the container's parent's content box.
OVERFLOWING_EQUATIONS_JS = r"""
(() => {
  const out = [];
  for (const box of document.querySelectorAll('mjx-container[display="true"]')) {
    if (!box.offsetParent) continue;  // in a closed dropdown: not shown, not measured
    const math = box.firstElementChild;
    const column = box.parentElement;
    const style = getComputedStyle(column);
    const available = column.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    const width = math.getBoundingClientRect().width;
    if (width > available + 1) {
      const tex = (box.querySelector('mjx-assistive-mml') || box).textContent.slice(0, 80);
      out.push({width: Math.round(width), available: Math.round(available), text: tex});
    }
  }
  return out;
})()
"""
