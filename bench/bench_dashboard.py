"""Benchmark: how long each dashboard page takes to load, against the 2 s target.

Starts the dashboard (as ``make dashboard`` does) on the snapshot of
``ROI_WAREHOUSE`` (default ``warehouse/roi.duckdb``: run ``make run`` first),
opens it in Debian's headless Chromium through Playwright, and times each page
from the click on its sidebar link until its charts are drawn and its tables
mounted: the first visit (cold caches and code chunks), then ``--rounds``
visits more. Prints each page's first, best and median load.

    .venv/bin/python bench/bench_dashboard.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 2.0
PAGES = {
    "": "Executive",
    "channels": "Channels and campaigns",
    "budget_lines": "Budget lines by owner team",
    "data_quality": "Data quality",
}
# Drawn: the script has finished, no element is still loading its code, every chart has drawn.
READY = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  const charts = [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')];
  return app && app.getAttribute('data-test-script-state') === 'notRunning'
    && document.querySelectorAll('[data-testid="stSkeleton"]').length === 0
    && document.querySelectorAll('[data-testid="stMetric"]').length > 0
    && charts.length > 0
    && charts.every(chart => [...chart.querySelectorAll('canvas, svg')].some(
         drawn => drawn.getBoundingClientRect().width > 100));
}"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read() == b"ok":
                    return
        except OSError:
            if process.poll() is not None:
                raise SystemExit("the dashboard exited") from None
        time.sleep(0.5)
    raise SystemExit("the dashboard did not start in 90 s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--chromium", default=os.environ.get("ROI_CHROMIUM", "/usr/bin/chromium"))
    arguments = parser.parse_args()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "dashboard/app.py", "--server.address", "127.0.0.1",
         "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    times: dict[str, list[float]] = {path: [] for path in PAGES}
    try:
        wait_until_up(url, process)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=arguments.chromium, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            started = time.perf_counter()
            page.goto(url + "/")
            page.wait_for_function(READY, timeout=60_000)
            print(f"first open of the site (executive page): {time.perf_counter() - started:.2f} s")
            for _ in range(arguments.rounds + 1):
                for path, title in [*list(PAGES.items())[1:], ("", PAGES[""])]:
                    started = time.perf_counter()
                    page.get_by_role("link", name=title).click()
                    page.wait_for_url(f"{url}/{path}")
                    page.wait_for_function(READY, timeout=60_000)
                    times[path].append(time.perf_counter() - started)
            browser.close()
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=30)
    print(f"{'page':<28}{'first':>8}{'best':>8}{'median':>8}   (s, target {TARGET_SECONDS:.0f} s)")
    for path, title in PAGES.items():
        first, rest = times[path][0], times[path][1:]
        print(f"{title:<28}{first:>8.2f}{min(rest):>8.2f}{statistics.median(rest):>8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
