"""Headless Chromium for the studio's tests and benches: Playwright driving the system's
/usr/bin/chromium (never a downloaded browser), a page that records its console errors and
every request it makes, so a test can assert that nothing left 127.0.0.1."""

from __future__ import annotations

import shutil
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--autoplay-policy=no-user-gesture-required",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
]


def chromium_path() -> Path | None:
    """Debian's Chromium (make sysdeps installs it), else one on PATH, else None."""
    if CHROMIUM.is_file():
        return CHROMIUM
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    return Path(found) if found else None


class Browser:
    """A Playwright session and one Chromium; `page(url)` opens a recorded StudioPage."""

    def __init__(self, executable: Path):
        from playwright.sync_api import sync_playwright

        self.pw = sync_playwright().start()
        try:
            self.browser = self.pw.chromium.launch(executable_path=str(executable), args=ARGS)
        except Exception:
            self.pw.stop()
            raise

    def page(
        self, url: str, width: int = 1200, height: int = 800, init_script: str | None = None
    ) -> StudioPage:
        """A new tab on `url`; `init_script` runs in it before the page's own scripts."""
        page = self.browser.new_page(viewport={"width": width, "height": height})
        if init_script:
            page.add_init_script(init_script)
        return StudioPage(page, url)

    def close(self) -> None:
        self.browser.close()
        self.pw.stop()


class StudioPage:
    """A page of the studio: `errors` (console errors, uncaught exceptions), `requests` (every
    URL asked for); `js(expr)` evaluates in the page (awaiting promises)."""

    def __init__(self, page, url: str):
        self.page, self.url = page, url
        self.errors: list[str] = []
        self.requests: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("websocket", lambda ws: self.requests.append(ws.url))
        page.goto(url)
        self.js("studio.ready")

    def js(self, expr: str, arg=None):
        return self.page.evaluate(expr, arg) if arg is not None else self.page.evaluate(expr)

    def wait(self, expr: str, timeout: float = 10.0) -> None:
        self.page.wait_for_function(expr, timeout=timeout * 1000)

    def outside(self, host: str = "127.0.0.1") -> list[str]:
        """Requests that went anywhere but `host` (data: URLs stay in the page)."""
        return [
            u for u in self.requests if not u.startswith("data:") and u.split("/")[2].split(":")[0] != host
        ]

    def close(self) -> None:
        self.page.close(run_before_unload=True)
