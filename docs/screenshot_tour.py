"""Take the README's tour screenshots in Chromium: the search page with its timeline,
an article page, the concordance.

    python docs/screenshot_tour.py [INDEX] [--query "gilets jaunes"] [--compare grève]

Serves INDEX (default: the news-fr index that bench/http_load.py builds with
``--no-entities``) with ``searchsvc serve --port 0`` in its own process group and
photographs each page in a 1280x900 window (Debian's chromium, driven by Playwright;
no browser download). Writes docs/tour-search.png, docs/tour-article.png and
docs/tour-concordance.png.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INDEX = ROOT / "bench" / "out" / "http_load" / "n33930-noent" / "index"


def serve(index: str, corpus: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "searchsvc.cli", "serve", "--port", "0",
                             "--workers", "1", "--index", index, "--corpus", corpus],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True, start_new_session=True)
    for line in proc.stdout:
        m = re.search(r"(http://127\.0\.0\.1:\d+)/", line)
        if m:
            return proc, m.group(1)
    raise SystemExit("searchsvc serve did not start")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("index", nargs="?", default=str(DEFAULT_INDEX))
    p.add_argument("--query", default="gilets jaunes")
    p.add_argument("--compare", action="append", default=["grève"])
    p.add_argument("--out", type=Path, default=ROOT / "docs")
    a = p.parse_args(argv)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as corpus:
        proc, url = serve(a.index, corpus)
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
                page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="fr-FR")
                # 1. the search page: results, facets, the timeline of two queries compared
                query = urllib.parse.urlencode({"q": a.query, "compare": a.compare}, doseq=True)
                page.goto(f"{url}/?{query}")
                page.locator("#timeline svg").first.wait_for()
                page.screenshot(path=a.out / "tour-search.png")
                # 2. the first hit's article page, the query's words marked
                page.goto(f"{url}/?{urllib.parse.urlencode({'q': a.query})}")
                page.locator("#results a[href*='/documents/']").first.click()
                page.wait_for_load_state()
                page.screenshot(path=a.out / "tour-article.png")
                # 3. the concordance of the phrase: every occurrence in its context
                phrase = urllib.parse.urlencode({"q": '"' + a.query + '"'})
                page.goto(f"{url}/concordance?{phrase}")
                page.wait_for_load_state()
                page.screenshot(path=a.out / "tour-concordance.png")
                browser.close()
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            finally:
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=10)
                proc.stdout.close()
    print(f"written {', '.join(str(a.out / f'tour-{n}.png') for n in ('search', 'article', 'concordance'))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
