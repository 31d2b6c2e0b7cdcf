#!/usr/bin/env python3
"""Opens fleetsim's report.html (or fit_report.html) in headless
Chromium, from disk, with the network off, and checks what a person would
see.

For each report given: Chromium loads it at 1280x2000 (once with scripts
on, once with them off), and the check fails when

- the page logs any console error, throws, or fails to load anything;
- the page asks for anything but itself (any request that is not file:
  or data:, or a file other than the report);
- the number of SVG elements in the DOM differs from the number the page
  declares (<meta name="fleetsim-charts">) and the file holds, or from the
  number given with the report (REPORT.html=N);
- the mouse over an occupancy chart does not bring up its readout (the
  page's one script), or the script logs an error;
- the screenshot (1280x2000, the top of the page) is blank or nearly
  uniform: too few colours, or one colour covering nearly all of it.

Chromium is driven through the DevTools protocol over a pipe
(--remote-debugging-pipe), so no port is opened; it runs in a network
namespace of its own when `unshare -n` works (as root), and always with a
proxy that leads nowhere and a resolver that resolves nothing.

Usage: check.py [--chromium PATH] --out DIR REPORT.html[=N] [REPORT.html[=N] ...]
  =N: the page must have exactly N charts.
Writes DIR/<name>.png for each report (name: the report's folder name).
Exit status: 0 every check passed; 1 a check failed; 2 nothing could be
checked (Chromium would not start or answer).
"""

import argparse
import base64
import json
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time

from PIL import Image

WIDTH, HEIGHT = 1280, 2000
# A page drawn with text, tables and charts has thousands of colours (anti-
# aliasing); a blank or broken one has a handful. The page's background
# covers about two thirds of the top of a report.
MIN_COLOURS = 200
MAX_MAIN_COLOUR_SHARE = 0.92
TIMEOUT_S = 60


class Failed(Exception):
    """A check failed."""


class Unusable(Exception):
    """Chromium could not be driven: nothing was checked."""


class Chromium:
    """One headless Chromium, driven over --remote-debugging-pipe."""

    def __init__(self, path):
        self.profile = tempfile.mkdtemp(prefix="fleetsim-browser-")
        # The browser reads commands on fd 3 and writes answers on fd 4.
        to_child_r, self.to_child = os.pipe()
        self.from_child, from_child_w = os.pipe()
        # Out of the way of 3 and 4, where the child wants them.
        hi_r = fcntl_dup(to_child_r)
        hi_w = fcntl_dup(from_child_w)
        for fd in (to_child_r, from_child_w):
            os.close(fd)

        def place():
            os.dup2(hi_r, 3)
            os.dup2(hi_w, 4)

        args = [
            path,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--disable-default-apps",
            "--hide-scrollbars",
            "--proxy-server=127.0.0.1:9",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            f"--user-data-dir={self.profile}",
            f"--window-size={WIDTH},{HEIGHT}",
            "--remote-debugging-pipe",
            "about:blank",
        ]
        self.isolated = network_namespace_works()
        if self.isolated:
            args = ["unshare", "-n", "--"] + args
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=self.log,
            preexec_fn=place,
            pass_fds=(3, 4),
        )
        os.close(hi_r)
        os.close(hi_w)
        self.buffer = b""
        self.next_id = 0
        self.events = []

    def send(self, method, params=None, session=None):
        """Sends a command and returns its result; events that arrive
        meanwhile are kept in self.events."""
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.to_child, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            reply = self.receive(deadline)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise Unusable(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def receive(self, deadline):
        """The next message from the browser."""
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Unusable(f"Chromium did not answer within {TIMEOUT_S} s{self.stderr()}")
            ready, _, _ = select.select([self.from_child], [], [], left)
            if ready:
                chunk = os.read(self.from_child, 1 << 20)
                if not chunk:
                    raise Unusable(f"Chromium closed its pipe (it stopped){self.stderr()}")
                self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def wait_for(self, method, session, timeout=TIMEOUT_S):
        """Waits for the event `method` of `session`."""
        deadline = time.monotonic() + timeout
        while True:
            for e in self.events:
                if e.get("method") == method and e.get("sessionId") == session:
                    return e
            self.events.append(self.receive(deadline))

    def stderr(self):
        self.log.seek(0)
        tail = self.log.read().decode(errors="replace").strip().splitlines()[-15:]
        return ("; its last lines:\n    " + "\n    ".join(tail)) if tail else ""

    def close(self):
        try:
            os.write(self.to_child, json.dumps({"id": 0, "method": "Browser.close"}).encode() + b"\0")
        except OSError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


def fcntl_dup(fd):
    """A copy of `fd` numbered 10 or above."""
    import fcntl

    return fcntl.fcntl(fd, fcntl.F_DUPFD, 10)


def network_namespace_works():
    """Whether `unshare -n` can give Chromium a network of its own (root)."""
    if not shutil.which("unshare"):
        return False
    return subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0


def declared_charts(html):
    """What the file says about its charts: the count it declares, and the
    SVG elements it holds."""
    m = re.search(r'<meta name="fleetsim-charts" content="(\d+)">', html)
    if not m:
        raise Failed("the page does not declare its number of charts")
    return int(m.group(1)), html.count("<svg")


def load(browser, url, scripts):
    """Loads `url` in a new page of 1280x2000 and returns (session, problems
    logged, requests made)."""
    target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    for domain in ("Page", "Runtime", "Log", "Network", "DOM"):
        browser.send(f"{domain}.enable", session=session)
    browser.send(
        "Emulation.setDeviceMetricsOverride",
        {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False},
        session=session,
    )
    browser.send("Emulation.setScriptExecutionDisabled", {"value": not scripts}, session=session)
    browser.events.clear()
    browser.send("Page.navigate", {"url": url}, session=session)
    browser.wait_for("Page.loadEventFired", session)
    # Let layout and painting settle.
    time.sleep(0.5)
    browser.send("Runtime.evaluate", {"expression": "1"}, session=session)
    problems, requests = [], []
    for e in browser.events:
        if e.get("sessionId") != session:
            continue
        method, p = e.get("method"), e.get("params", {})
        if method == "Runtime.exceptionThrown":
            problems.append("exception: " + json.dumps(p.get("exceptionDetails", {}))[:300])
        elif method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            problems.append(f"console.{p.get('type')}: " + json.dumps(p.get("args", []))[:300])
        elif method == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            problems.append("log error: " + p["entry"].get("text", "")[:300])
        elif method == "Network.requestWillBeSent":
            requests.append(p.get("request", {}).get("url", ""))
        elif method == "Network.loadingFailed":
            problems.append("failed to load: " + json.dumps(p)[:300])
    return session, problems, requests


def svg_count(browser, session):
    """SVG elements in the DOM."""
    root = browser.send("DOM.getDocument", {"depth": 0}, session=session)["root"]["nodeId"]
    return len(browser.send("DOM.querySelectorAll", {"nodeId": root, "selector": "svg"}, session=session)["nodeIds"])


def check_readout(browser, session):
    """Where the page has occupancy readouts, moves the mouse over the
    first such chart (unfolding its sweep point) and fails unless the
    readout shows the counts there; returns what it showed (None when the
    page has no readout)."""
    found = browser.send(
        "Runtime.evaluate",
        {
            "expression": """(function () {
                var b = document.querySelector('script[data-readout]');
                if (!b) return null;
                var svg = document.querySelector('svg[data-chart="' + b.getAttribute('data-readout') + '"]');
                // A sweep's point is folded: unfold it, as a reader would.
                for (var d = svg.closest('details'); d; d = d.parentElement.closest('details')) d.open = true;
                svg.scrollIntoView({block: 'center'});
                var r = svg.getBoundingClientRect();
                return [r.left + r.width * 0.6, r.top + r.height * 0.5];
            })()""",
            "returnByValue": True,
        },
        session=session,
    )["result"].get("value")
    if found is None:
        return None
    x, y = found
    browser.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y}, session=session)
    shown = browser.send(
        "Runtime.evaluate",
        {
            "expression": "(function () { var t = document.querySelector('.readout'); "
            "return t && !t.hidden ? t.textContent : ''; })()",
            "returnByValue": True,
        },
        session=session,
    )["result"].get("value", "")
    if "ACTIVE" not in shown or " d " not in shown:
        raise Failed(f"the mouse over an occupancy chart shows no readout (it shows {shown!r})")
    return shown


def check_screenshot(path):
    """Fails when the screenshot is blank or nearly uniform; returns its
    number of colours and the share of the commonest."""
    image = Image.open(path).convert("RGB")
    if image.size != (WIDTH, HEIGHT):
        raise Failed(f"{path}: the screenshot is {image.size}, not {WIDTH}x{HEIGHT}")
    colours = image.getcolors(maxcolors=WIDTH * HEIGHT)
    main = max(count for count, _ in colours) / (WIDTH * HEIGHT)
    if len(colours) < MIN_COLOURS or main > MAX_MAIN_COLOUR_SHARE:
        raise Failed(
            f"{path}: the screenshot is blank or nearly uniform: {len(colours)} colours "
            f"(at least {MIN_COLOURS} wanted), the commonest covering {main:.1%} "
            f"(at most {MAX_MAIN_COLOUR_SHARE:.0%} wanted)"
        )
    return len(colours), main


def check(browser, report, out_dir, expected=None):
    """Checks one report (which must have `expected` charts, when given);
    returns a line saying what was seen."""
    report = os.path.abspath(report)
    with open(report, encoding="utf-8") as f:
        declared, in_file = declared_charts(f.read())
    if in_file != declared:
        raise Failed(f"{report}: the file holds {in_file} <svg> elements but declares {declared} charts")
    if expected is not None and declared != expected:
        raise Failed(f"{report}: the page declares {declared} charts, {expected} expected")
    url = "file://" + report
    name = os.path.basename(os.path.dirname(report)) or "report"
    png = os.path.join(out_dir, f"{name}.png")
    seen = []
    for scripts in (True, False):
        session, problems, requests = load(browser, url, scripts)
        label = "scripts on" if scripts else "scripts off"
        if problems:
            raise Failed(f"{report} ({label}): " + "; ".join(problems))
        foreign = [r for r in requests if not (r == url or r.startswith("data:"))]
        if foreign:
            raise Failed(f"{report} ({label}): the page asked for {foreign}")
        count = svg_count(browser, session)
        if count != declared:
            raise Failed(f"{report} ({label}): {count} SVG elements in the page, {declared} expected")
        seen.append(count)
        if scripts:
            shot = browser.send(
                "Page.captureScreenshot",
                {"format": "png", "clip": {"x": 0, "y": 0, "width": WIDTH, "height": HEIGHT, "scale": 1}},
                session=session,
            )
            with open(png, "wb") as f:
                f.write(base64.b64decode(shot["data"]))
            try:
                readout = check_readout(browser, session)
            except Failed as e:
                raise Failed(f"{report}: {e}") from None
            late = [e for e in browser.events if e.get("sessionId") == session and is_problem(e)]
            if late:
                raise Failed(f"{report}: the readout logged {late[:3]}")
    colours, main = check_screenshot(png)
    hover = "readout shown on hover, " if readout else ""
    return f"{name}: {seen[0]} SVGs (scripts on and off), no console error, no request, {hover}{png}: {colours} colours, commonest {main:.0%}"


def is_problem(event):
    """Whether a DevTools event reports an error."""
    method, p = event.get("method"), event.get("params", {})
    return (
        method == "Runtime.exceptionThrown"
        or (method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"))
        or (method == "Log.entryAdded" and p.get("entry", {}).get("level") == "error")
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM", "/usr/bin/chromium"))
    parser.add_argument("--out", required=True, help="folder for the screenshots")
    parser.add_argument("reports", nargs="+")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    try:
        browser = Chromium(args.chromium)
    except OSError as e:
        print(f"browser check: cannot start {args.chromium}: {e}", file=sys.stderr)
        return 2
    failed = 0
    try:
        version = browser.send("Browser.getVersion").get("product", "?")
        where = "in a network namespace of its own" if browser.isolated else "behind a proxy that leads nowhere"
        print(f"browser check: {version}, {where}")
        for report in args.reports:
            path, _, count = report.rpartition("=")
            expected = int(count) if path and count.isdigit() else None
            if expected is not None:
                report = path
            try:
                print("  ok  " + check(browser, report, args.out, expected))
            except Failed as e:
                failed += 1
                print(f"  FAILED  {e}")
    except Unusable as e:
        print(f"browser check: {e}", file=sys.stderr)
        return 2
    finally:
        browser.close()
    passed = len(args.reports) - failed
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
