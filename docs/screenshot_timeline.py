"""Take docs/screenshot-timeline.png: the search page with its timeline chart, in Chromium.

    python docs/screenshot_timeline.py [INDEX] [--query coronavirus] [--compare grippe]

Serves INDEX (default: bench/out/articles-index, the news-fr index that
bench/analytics.py builds) with ``searchsvc serve --port 0`` and photographs the top
of the page in a 1280x900 window.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("index", nargs="?", default=str(ROOT / "bench" / "out" / "articles-index"))
    p.add_argument("--query", default="coronavirus")
    p.add_argument("--compare", action="append", default=["grippe"])
    p.add_argument("--out", default=str(ROOT / "docs" / "screenshot-timeline.png"))
    a = p.parse_args(argv)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as corpus:
        proc = subprocess.Popen([sys.executable, "-m", "searchsvc.cli", "serve", "--port", "0",
                                 "--index", a.index, "--corpus", corpus],
                                cwd=ROOT, stdout=subprocess.PIPE, text=True)
        try:
            url = None
            for line in proc.stdout:
                m = re.search(r"(http://127\.0\.0\.1:\d+)/", line)
                if m:
                    url = m.group(1)
                    break
            query = urllib.parse.urlencode({"q": a.query, "compare": a.compare}, doseq=True)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
                page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="fr-FR")
                page.goto(f"{url}/?{query}")
                page.locator("#timeline svg").first.wait_for()
                bar = page.locator("#timeline .chart-count a.bucket").nth(-6)
                bar.hover()  # the hover figures
                page.screenshot(path=a.out)
                browser.close()
        finally:
            proc.terminate()
            proc.wait(timeout=15)
    print(f"written {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
