"""Run one reindex for the web service, in a child process.

``python -m searchsvc.web.reindex_worker CORPUS INDEX [--full] [--nice N]``
prints the :class:`~searchsvc.pipeline.ReindexReport` as one JSON line on
success; on failure, exits 1 with a one-line French reason on stderr.

A child process rather than a thread of the server: indexing is CPU-bound
Python, and in a thread it would hold the GIL that request handling needs,
so search latency would suffer for the whole reindex. The child also runs
at a lower CPU priority (``--nice``), so the service stays responsive.
"""

from __future__ import annotations

import argparse
import json
import sys


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m searchsvc.web.reindex_worker")
    ap.add_argument("corpus")
    ap.add_argument("index")
    ap.add_argument("--full", action="store_true")
    ap.add_argument("--nice", type=int, default=0)
    a = ap.parse_args(argv)
    from searchsvc.config import lower_cpu_priority

    lower_cpu_priority(a.nice)
    from searchsvc.engine import BackendUnavailable, ConfigError, NoIndexError, reindex
    from searchsvc.pipeline import IndexBusyError, ReindexError
    from searchsvc.web.state import jsonable

    try:
        report = reindex(a.corpus, a.index, full=a.full)
    except (IndexBusyError, NoIndexError, ReindexError, BackendUnavailable, ConfigError, OSError,
            ValueError) as exc:
        message = str(exc).replace("\n", " ")
        skipped = getattr(exc, "skipped", None)
        if skipped:  # every skipped file, with its reason, on the one line of the status
            message += " ; fichiers ignorés : " + " ; ".join(f"{p} : {r}" for p, r in skipped)
        print(message, file=sys.stderr)
        return 1
    print(json.dumps(jsonable(report), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
