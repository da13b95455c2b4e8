"""Old and new side by side: two servers of one shape, each with its own database (and Redis), fed
the same runs alternately (A, B, B, A, ...), so both see the same machine.

    BENCH_OLD_SRC=/path/to/other/checkout/backend/src python bench/pairs.py SHAPE KIND ROUNDS [PROFILE]

SHAPE is `embedded` or `pg+redis`; KIND `batch` (bench/ingest.py's 20 batches of 10,000 points) or
`lp` (bench/lineprotocol.py's 20 bodies of 5,000 lines); the "old" server runs the checkout that
BENCH_OLD_SRC names (PYTHONPATH ahead of this venv's editable install), the "new" one this
checkout. PROFILE (`old`, `new` or `both`) samples those runs with py-spy into
results/pairs-*.collapsed (and .top.txt). Each run stamps its points after the previous run's
of the same server; one warm-up run each comes first. Prints each run, then the medians.
"""

from __future__ import annotations

import itertools
import os
import statistics
import sys
from collections.abc import Iterator

import ingest
import lineprotocol
from common import backend, server, spy


def _one(kind: str, url: str, pid: int, settings: dict[str, str], run: int) -> dict[str, float]:
    if kind == "batch":
        return ingest.batches(url, pid, settings, run)
    r = lineprotocol.run(url, pid, lineprotocol._bodies(run))
    return {"pps": r["pps"], "server_us": r["cpu_us"]}


def main(shape: str, kind: str, rounds: int, profile: str = "") -> None:
    old_src = os.environ["BENCH_OLD_SRC"]
    with backend(shape) as old_settings, backend(shape) as new_settings, \
            server(old_settings, PYTHONPATH=old_src) as old, server(new_settings) as new:
        procs = {"old": (old, old_settings), "new": (new, new_settings)}
        runs: dict[str, Iterator[int]] = {name: itertools.count() for name in procs}
        for name, (proc, settings) in procs.items():  # warm-up: caches, pools, windows
            _one(kind, proc.url, proc.process.pid, settings, next(runs[name]))
        results: dict[str, list[dict[str, float]]] = {name: [] for name in procs}
        for r in range(rounds):
            for name in ("old", "new") if r % 2 == 0 else ("new", "old"):
                proc, settings = procs[name]
                if profile in (name, "both"):
                    os.environ["BENCH_PROFILE"] = "1"
                    with spy(proc.process.pid, f"pairs-{shape}-{kind}-{name}-{r}", rate=500):
                        sample = _one(kind, proc.url, proc.process.pid, settings, next(runs[name]))
                    del os.environ["BENCH_PROFILE"]
                else:
                    sample = _one(kind, proc.url, proc.process.pid, settings, next(runs[name]))
                results[name].append(sample)
                print(name, {k: round(v, 2) for k, v in sample.items()},
                      "load", round(os.getloadavg()[0], 2), flush=True)
        for name, samples in results.items():
            print("median", name, {k: round(statistics.median(s[k] for s in samples), 2)
                                   for k in samples[0]})


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), *sys.argv[4:5])
