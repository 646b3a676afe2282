"""A small load client on loopback: threads with keep-alive http.client connections, latency percentiles.

No dependency beyond the standard library (docs/performance.md says why that is enough here).
"""

from __future__ import annotations

import http.client
import statistics
import threading
import time
from dataclasses import dataclass, field
from typing import Any


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


@dataclass
class Result:
    path: str
    concurrency: int
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    wall_s: float = 0.0

    def summary(self) -> dict[str, Any]:
        lat = self.latencies_ms
        return {
            "path": self.path,
            "concurrency": self.concurrency,
            "requests": len(lat),
            "errors": self.errors,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "p50_ms": round(percentile(lat, 0.50), 2),
            "p95_ms": round(percentile(lat, 0.95), 2),
            "p99_ms": round(percentile(lat, 0.99), 2),
            "mean_ms": round(statistics.fmean(lat), 2) if lat else None,
            "throughput_rps": round(len(lat) / self.wall_s, 1) if self.wall_s else None,
        }


def _worker(
    host: str,
    port: int,
    path: str,
    headers: dict[str, str],
    count: int,
    result: Result,
    lock: threading.Lock,
    deadline: float = float("inf"),
) -> None:
    conn = http.client.HTTPConnection(host, port, timeout=300)
    for _ in range(count):
        if time.perf_counter() > deadline:
            break
        t0 = time.perf_counter()
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            status = response.status
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection(host, port, timeout=300)
            with lock:
                result.errors += 1
            continue
        elapsed = (time.perf_counter() - t0) * 1000
        with lock:
            result.latencies_ms.append(elapsed)
            result.statuses[status] = result.statuses.get(status, 0) + 1
    conn.close()


def run(
    host: str,
    port: int,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    requests: int = 200,
    concurrency: int = 1,
    warmup: int = 5,
    budget_s: float = 60.0,
) -> dict[str, Any]:
    """`requests` GETs of `path` spread over `concurrency` threads (after `warmup` unmeasured ones);
    stops early after `budget_s` seconds, so a slow endpoint at a large scale cannot stall the run."""
    headers = {"Host": f"{host}:{port}", **(headers or {})}
    lock = threading.Lock()
    _worker(host, port, path, headers, warmup, Result(path, concurrency), lock)
    result = Result(path, concurrency)
    per_thread = max(requests // concurrency, 1)
    started = time.perf_counter()
    threads = [
        threading.Thread(target=_worker, args=(host, port, path, headers, per_thread, result, lock, started + budget_s))
        for _ in range(concurrency)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.wall_s = time.perf_counter() - started
    return result.summary()


def status_of(host: str, port: int, path: str, headers: dict[str, str] | None = None, timeout: float = 30) -> int:
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Host": f"{host}:{port}", **(headers or {})})
        response = conn.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException):
        return 0
    finally:
        conn.close()
