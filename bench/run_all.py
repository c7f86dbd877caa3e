"""Every benchmark, one after the other, then one table: ``make bench``.

Run from the repository root: ``.venv/bin/python bench/run_all.py [--quick] [--only a,b]``.

Each benchmark runs as a child process with ``--json`` (sizes below: reduced
where the full size adds time but no information, full where a target is
defined), its own output shown as it goes, and a time limit after which its
whole process group is killed and its row reads "failed". The figures are
collected from the JSON line each prints last, then printed as one Markdown
table with the machine and the load it ran under. ``--out FILE`` keeps the
figures as JSON. The exit status is 1 when a benchmark failed, not when a
target is missed: the table says that.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
Figures = dict[str, Any]


# name, arguments, arguments with --quick, seconds allowed
PLAN: list[tuple[str, list[str], list[str], float]] = [
    ("dispatch", ["--events", "20000", "--runs", "3"], ["--events", "2000", "--runs", "1"], 240),
    ("lookup", ["--count", "5000"], ["--count", "500"], 120),
    (
        "broadcast",
        ["--recipients", "35000", "--rate", "200"],
        ["--recipients", "2000", "--rate", "100"],
        600,
    ),
    (
        "reminders",
        ["--persons", "100000", "--runs", "3", "--limit", "20", "--also-analyzed"],
        ["--persons", "2000", "--runs", "1", "--limit", "20", "--also-analyzed"],
        300,
    ),
    ("stats", ["--persons", "100000", "--runs", "5"], ["--persons", "5000", "--runs", "2"], 240),
    ("memory", ["--persons", "100000", "--events", "5000"], ["--persons", "5000"], 240),
    (
        "startup",
        ["--persons", "100000", "--restarts", "5", "--first-starts", "3"],
        ["--persons", "5000", "--restarts", "2", "--first-starts", "1"],
        240,
    ),
    (
        "similar",
        ["--stored", "10000", "--clustered", "1000", "--queries", "500"],
        ["--stored", "1000", "--clustered", "200", "--queries", "100"],
        300,
    ),
    (
        "telegram_path",
        ["--updates", "2000", "--rounds", "3", "--people", "200", "--recipients", "5000"],
        ["--updates", "300", "--rounds", "1", "--people", "50", "--recipients", "500"],
        300,
    ),
]


def run_one(name: str, args: list[str], timeout: float) -> Figures | None:
    """Run ``bench/NAME.py`` with ``--json``; its figures, or None if it failed."""
    command = [sys.executable, str(BENCH / f"{name}.py"), *args, "--json"]
    print(f"\n== {name}: {' '.join(command[1:])}", flush=True)
    started = time.monotonic()
    # A session of its own, so a timeout ends the benchmark's own children too.
    child = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    expired = threading.Event()

    def kill() -> None:
        expired.set()
        os.killpg(child.pid, signal.SIGKILL)

    timer = threading.Timer(timeout, kill)
    timer.start()
    figures: Figures | None = None
    try:
        assert child.stdout is not None
        for line in child.stdout:
            if line.startswith('{"bench"'):
                figures = json.loads(line)
            else:
                print(f"   {line}", end="", flush=True)
        code = child.wait()
    finally:
        timer.cancel()
    seconds = time.monotonic() - started
    if expired.is_set():
        print(f"!! {name}: killed after {timeout:g} s")
        return None
    if code != 0 or figures is None:
        print(f"!! {name}: exit status {code}, {'no figures' if figures is None else ''}")
        return None
    figures["wall_s"] = seconds
    print(f"== {name}: {seconds:.0f} s")
    return figures


# -- the table ------------------------------------------------------------------------------
Row = tuple[str, str, str]


def _ms(value: float) -> str:
    return f"{value:,.1f} ms" if value < 100 else f"{value:,.0f} ms"


def _s(value: float) -> str:
    return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


def _check(met: bool, target: str) -> str:
    return f"{target} — {'met' if met else '**missed**'}"


def dispatch_rows(f: Figures) -> list[Row]:
    rate, p99 = f["events_per_s"], f["p99_ms"]
    what = f"{int(f['events']):,} events × {int(f['runs'])} runs, memory backend, SQLite file"
    return [
        (f"Dispatch throughput ({what})", f"{rate:,.0f} events/s", _check(rate >= 2000, "≥ 2,000")),
        (
            "Dispatch latency p99 (p50)",
            f"{_ms(p99)} ({_ms(f['p50_ms'])})",
            _check(p99 < 10, "< 10 ms"),
        ),
    ]


def lookup_rows(f: Figures) -> list[Row]:
    p99 = f["p99_ms"]
    worst = f"worst kind {f['worst_category']} p99 {_ms(f['worst_category_p99_ms'])}"
    return [
        (
            f"Commune lookup p99 ({int(f['queries']):,} queries; {worst})",
            f"{_ms(p99)} (p50 {_ms(f['p50_ms'])})",
            _check(p99 < 20, "< 20 ms"),
        )
    ]


def broadcast_rows(f: Figures) -> list[Row]:
    share, refused, rate = f["share_of_allowed"], int(f["too_many"]), f["allowed_msgs_per_s"]
    missed, doubled = int(f["missing"]), int(f["doubled"])
    where = f"{int(f['recipients']):,} recipients, Bot API server allowing {rate:g} msg/s"
    return [
        (
            f"Broadcast through the Telegram backend ({where})",
            f"{share:.1%} of the allowed rate ({f['achieved_msgs_per_s']:.1f} msg/s),"
            f" {refused} × 429",
            _check(share >= 0.95 and refused == 0, "≥ 95 %, no 429"),
        ),
        (
            "Same broadcast: chats missed / served twice",
            f"{missed} / {doubled}",
            _check(missed == 0 and doubled == 0, "0 / 0"),
        ),
        (
            "Same broadcast: enqueue (audience, render, outbox rows)",
            _s(f["enqueue_s"]),
            "",
        ),
        (
            "Same broadcast: peak RSS of the bot process (during delivery)",
            f"{f['peak_rss_mib']:.0f} MiB ({f['rss_before_delivery_mib']:.0f} →"
            f" {f['rss_peak_during_delivery_mib']:.0f} MiB)",
            "",
        ),
    ]


def reminder_rows(f: Figures) -> list[Row]:
    rows: list[Row] = []
    for kind in ("needs", "vote", "support"):
        shipped, analyzed = f[f"{kind}_s"], f.get(f"analyzed_{kind}_s")
        if shipped == "timeout":
            value = f"> {f[f'{kind}_limit_s']:g} s, interrupted"
        else:
            value = f"{_s(shipped)} ({int(f[f'{kind}_recipients']):,} rows)"
        if isinstance(analyzed, float):
            recipients = int(f[f"analyzed_{kind}_recipients"])
            value += f"; after ANALYZE {_s(analyzed)} ({recipients:,} rows)"
        label = f"Reminder enqueue, {kind} phase, {int(f['persons']):,} persons"
        fast = isinstance(shipped, float) and shipped < 2
        rows.append((label, value, _check(fast, "< 2 s") if kind == "needs" else ""))
    return rows


def stats_rows(f: Figures) -> list[Row]:
    median = f["stats_median_ms"]
    return [
        (
            f"/stats, {int(f['persons']):,} persons (worst)",
            f"{_ms(median)} ({_ms(f['stats_worst_ms'])})",
            _check(median < 500, "< 500 ms"),
        )
    ]


def memory_rows(f: Figures) -> list[Row]:
    where = f"{int(f['communes']):,} communes, {int(f['persons']):,} persons"
    return [
        (
            f"Peak RSS after App.create, {int(f['events']):,} events, /stats + chart ({where})",
            f"{f['after_events_mb']:.0f} MiB",
            "",
        ),
        (
            f"Peak RSS after also queueing a broadcast to {int(f['broadcast_rows']):,}",
            f"{f['after_broadcast_mb']:.0f} MiB",
            "",
        ),
    ]


def startup_rows(f: Figures) -> list[Row]:
    return [
        (
            f"Restart: App.create + seed, {int(f['persons']):,} persons (whole process)",
            f"{_ms(f['restart_create_seed_s'] * 1000)} ({_ms(f['restart_process_s'] * 1000)})",
            "",
        ),
        (
            "First start: App.create with reference data load + seed (whole process)",
            f"{_ms(f['first_create_seed_s'] * 1000)} ({_ms(f['first_process_s'] * 1000)})",
            "",
        ),
    ]


def telegram_rows(f: Figures) -> list[Row]:
    what = (
        f"{int(f['updates']):,} updates from {int(f['people']):,} people"
        f" × {int(f['rounds'])} rounds, local fake Bot API"
    )
    return [
        (
            f"Telegram path, one update at a time: bare PTB echo bot ({what})",
            f"{f['bare_updates_per_s']:,.0f} updates/s",
            "",
        ),
        (
            "Telegram path, Guichet (PTB + TelegramBackend + App + SQLite + outbox)",
            f"{f['guichet_updates_per_s']:,.0f} updates/s",
            "",
        ),
        ("Guichet / bare, one at a time", f"{f['ratio']:.2f}", "≥ 0.67"),
        (
            "Telegram path, concurrent: bare PTB (concurrent_updates) / Guichet",
            f"{f['bare_concurrent_updates_per_s']:,.0f} / "
            f"{f['guichet_concurrent_updates_per_s']:,.0f} updates/s",
            "",
        ),
        ("Guichet / bare, concurrent", f"{f['concurrent_ratio']:.2f}", "≥ 0.67"),
        (
            f"{int(f['burst_people'])} people at once during a {int(f['burst_recipients']):,}"
            "-recipient broadcast at 30 msg/s: answer latency p50 / p95",
            f"{f['burst_p50_s']:.2f} s / {f['burst_p95_s']:.2f} s"
            f" ({int(f['burst_bulk_during'])} broadcast sends meanwhile,"
            f" {int(f['burst_429'])} × 429)",
            f"≥ {int(f['burst_people']) / 30 / 0.97:.1f} s for the last at the rate",
        ),
    ]


def similar_rows(f: Figures) -> list[Row]:
    p3, ari, dup = f["guichet_p3"], f["guichet_ari"], f["guichet_dup_recall"]
    p99, cluster = f["proposals_p99_ms"], f["cluster_s"]
    held = "labelled set, half not used for tuning"
    return [
        (
            f"Similar needs: P@3 of proposal suggestions ({held}; word TF-IDF "
            f"{f['baseline_p3']:.3f})",
            f"{p3:.3f}",
            _check(p3 >= 0.85, "≥ 0.85"),
        ),
        (
            f"Similar needs: adjusted Rand index of clusters (baseline {f['baseline_ari']:.3f})",
            f"{ari:.3f}",
            _check(ari >= 0.5, "≥ 0.5"),
        ),
        (
            "Similar needs: duplicate recall, same collectivité",
            f"{dup:.3f}",
            _check(dup >= 0.9, "≥ 0.9"),
        ),
        (
            f"Similar needs: suggestions among {int(f['stored']):,} needs, p99 (p50)",
            f"{_ms(p99)} ({_ms(f['proposals_p50_ms'])})",
            _check(p99 < 50, "< 50 ms"),
        ),
        (
            f"Similar needs: clustering {int(f['clustered']):,} needs",
            _s(cluster),
            _check(cluster < 5, "< 5 s"),
        ),
        (
            "Similar needs: RSS before scikit-learn / with it / with the index",
            f"{f['before_mb']:.0f} / {f['sklearn_mb']:.0f} / {f['index_mb']:.0f} MB",
            "",
        ),
    ]


ROWS: dict[str, Callable[[Figures], list[Row]]] = {
    "dispatch": dispatch_rows,
    "lookup": lookup_rows,
    "broadcast": broadcast_rows,
    "reminders": reminder_rows,
    "stats": stats_rows,
    "memory": memory_rows,
    "startup": startup_rows,
    "similar": similar_rows,
    "telegram_path": telegram_rows,
}


def reference_loop() -> float:
    """Seconds for a fixed pure-Python loop: how fast this machine is right now.

    A shared virtual machine's speed varies with its neighbours; comparing this
    figure tells whether two tables came from the machine at the same speed.
    """
    started = time.perf_counter()
    total = 0
    for i in range(5_000_000):
        total += i * i
    return time.perf_counter() - started


def cpu_ticks() -> list[int]:
    """The first line of /proc/stat: user, nice, system, idle, iowait, irq, softirq, steal…"""
    with open("/proc/stat") as stat:
        return [int(x) for x in stat.readline().split()[1:]]


def steal_share(before: list[int], after: list[int]) -> float:
    """Share of CPU time the hypervisor gave to other guests meanwhile."""
    delta = [b - a for a, b in zip(before, after, strict=True)]
    return delta[7] / max(1, sum(delta[:8]))


def machine() -> str:
    model = "?"
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as meminfo:
        total_kib = int(meminfo.readline().split()[1])
    return (
        f"{os.cpu_count()} CPU ({model}), {total_kib / 2**20:.1f} GiB RAM,"
        f" Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )


def table(results: dict[str, Figures | None]) -> str:
    lines = ["| Figure | Result | Target |", "|---|---|---|"]
    for name, figures in results.items():
        if figures is None:
            lines.append(f"| {name} | failed (see its output above) | |")
            continue
        for label, value, target in ROWS[name](figures):
            lines.append(f"| {label} | {value} | {target} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, to check it all runs")
    parser.add_argument("--only", help="comma-separated benchmarks, e.g. dispatch,lookup")
    parser.add_argument("--out", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args()
    wanted = set(args.only.split(",")) if args.only else {name for name, *_ in PLAN}
    unknown = wanted - {name for name, *_ in PLAN}
    if unknown:
        parser.error(f"unknown benchmarks: {', '.join(sorted(unknown))}")

    began, load_before, speed_before = time.monotonic(), os.getloadavg(), reference_loop()
    ticks_before = cpu_ticks()
    stamp = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    results: dict[str, Figures | None] = {}
    for name, full, quick, timeout in PLAN:
        if name in wanted:
            results[name] = run_one(name, quick if args.quick else full, timeout)
    load_after, steal = os.getloadavg(), steal_share(ticks_before, cpu_ticks())
    speed_after = reference_loop()

    print(f"\n## Guichet benchmarks{' (--quick sizes)' if args.quick else ''}\n")
    print(f"{stamp}; {machine()}")
    print(
        f"load average (1, 5, 15 min) before {' '.join(f'{x:.2f}' for x in load_before)},"
        f" after {' '.join(f'{x:.2f}' for x in load_after)};"
        f" CPU time stolen by the hypervisor {steal:.1%};"
        f" reference loop (5M Python iterations) {speed_before:.2f} s before,"
        f" {speed_after:.2f} s after; {(time.monotonic() - began) / 60:.1f} min in all;"
        " medians unless said\n"
    )
    print(table(results))
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    sys.exit(1 if any(figures is None for figures in results.values()) else 0)


if __name__ == "__main__":
    main()
