"""The harvest benchmark's report: the table of runs, the ratios against the targets, PASS/MISS."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tests.benchmarks.harvest_corpus import MARK

TARGET_RATIO = 0.50
TARGET_RENORMALISE = 2.0  # re-normalising the store against B's harvest rate of the same records
TARGET_PEER_RATIO = 1.0  # B against run P, oaipmh-scythe dumping the same replay to JSON lines (issue 20)
TARGET_RSS_MB = 300.0


RENORMALISINGS = (
    ("renormalise", "unchanged, the memos the harvest kept used"),
    ("renormalise_changed", "every record changed, the memos used"),
    ("renormalise_again", "unchanged, the memos used"),
    ("renormalise_changed_nomemo", "every record changed, no memo"),
)


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def _pipeline_ok(result: dict[str, Any]) -> bool:
    n = result.get("expected")
    return (
        not result.get("crashed")
        and result.get("status") == "succeeded"
        and result.get("indexed") == n
        and result.get("stored") == n
        and result.get("text_total") == n
        and bool(result.get("probe_found"))
    )


def report(
    n: int,
    page_size: int,
    a: dict[str, Any],
    b_quarter: dict[str, Any],
    b: dict[str, Any],
    f: dict[str, Any],
    g: dict[str, Any],
    p: dict[str, Any],
    t: dict[str, Any],
) -> None:
    def rate(result: dict[str, Any], count: int) -> float:
        seconds = float(result.get("seconds") or 0.0)
        return count / seconds if seconds > 0 and not result.get("crashed") else 0.0

    a_rate = rate(a, int(a.get("records", 0)))
    b_rate = rate(b, n)
    q_rate = rate(b_quarter, n // 4)
    ratio = b_rate / a_rate if a_rate else 0.0
    p_rate = rate(p, int(p.get("records", 0)))
    rows = [
        ("P  oaipmh-scythe JSONL", p.get("records", "-"), p_rate, p),
        ("A  baseline httpx+lxml", a.get("records", "-"), a_rate, a),
        ("T  floor on Tantivy", t.get("indexed", "-"), rate(t, int(t.get("indexed", 0))), t),
        ("F  engine floor (FTS5)", f.get("indexed", "-"), rate(f, int(f.get("indexed", 0))), f),
        ("G  floor, 3 processes", g.get("indexed", "-"), rate(g, int(g.get("indexed", 0))), g),
        ("B  pipeline N/4", n // 4, q_rate, b_quarter),
        ("B  pipeline N", n, b_rate, b),
    ]

    def mb(value: object) -> str:
        return f"{value:.1f}" if isinstance(value, float) else "-"

    def seconds(value: object) -> str:
        return f"{value:.2f}" if isinstance(value, float) else "-"

    print()
    print(f"OAI-PMH harvest benchmark: N={n} records, page size {page_size}")
    print(
        f"{'run':<24}{'records':>9}{'seconds':>9}{'records/s':>11}{'CPU s':>8}{'peak RSS MB':>13}"
        f"{'of which: anon':>16}{'file':>7}{'shmem':>7}"
    )
    for name, count, per_second, result in rows:
        print(
            f"{name:<24}{count!s:>9}{seconds(result.get('seconds')):>9}{per_second:>11.0f}"
            f"{seconds(result.get('cpu')):>8}"
            f"{mb(result.get('rss_mb')):>13}{mb(result.get('peak_RssAnon')):>16}"
            f"{mb(result.get('peak_RssFile')):>7}{mb(result.get('peak_RssShmem')):>7}"
        )
    print(
        "(seconds: wall clock; CPU s: the child's own CPU time, a check on a busy machine; peak RSS: "
        "the child's VmHWM;\n anon/file/shmem: peaks of each part, sampled every 50 ms)"
    )
    print()
    for label, result in (("B N/4", b_quarter), ("B N", b)):
        if result.get("crashed"):
            print(f"{label}: the child crashed (exit code {result.get('exitcode')})")
            continue
        print(
            f"{label}: status={result['status']} added={result['added']} failed={result['failed']} "
            f"skipped={result['skipped']} stored={result['stored']} indexed={result['indexed']} "
            f"'{MARK}' matches={result['text_total']} probe found={result['probe_found']} "
            f"harvest_source {result['harvest_seconds']:.2f}s, checks "
            f"{result['seconds'] - result['harvest_seconds']:.2f}s, home {result['disk_mb']:.0f} MB"
            + (f" error={result['error']}" if result.get("error") else "")
        )
        if result.get("file_mappings"):
            mappings = ", ".join(f"{Path(name).name} {mb:.0f} MB" for mb, name in result["file_mappings"])
            print(f"  largest file mappings at the RssFile peak: {mappings}")
    if a.get("records") != n:
        print(f"A: read {a.get('records')} records, expected {n}")
    rss_n, rss_q = b.get("rss_mb"), b_quarter.get("rss_mb")
    print()
    print(f"all N searchable (count, text query, probe)   {_verdict(_pipeline_ok(b))}")
    if p.get("records") != n or p.get("lines") != n:
        print(f"P: read {p.get('records')} records, wrote {p.get('lines')} lines, expected {n}")
    peer = b_rate / p_rate if p_rate else 0.0
    verdict = _verdict(peer >= TARGET_PEER_RATIO and _pipeline_ok(b))
    print(f"B against the scythe dump: B/P = {peer:.2f} (target >= {TARGET_PEER_RATIO:.2f})    {verdict}")
    p_cpu, b_cpu = p.get("cpu"), b.get("cpu")
    if isinstance(p_cpu, float) and isinstance(b_cpu, float) and p_cpu > 0 and b_cpu > 0:
        p_records = max(1, int(p.get("records", 0)))
        helper = float(b.get("helper_cpu") or 0.0)
        print(
            f"  CPU per record: B {(b_cpu + helper) / n * 1e6:.0f} us (of it {helper / n * 1e6:.0f} us in "
            f"the normalising helper process; its ru_maxrss {b.get('helper_rss_mb', 0.0):.1f} MB, an upper "
            f"bound: on Linux it includes the spawning process's resident set at the fork before exec), "
            f"P {p_cpu / p_records * 1e6:.0f} us"
        )
    t_rate = rate(t, int(t.get("indexed", 0)))
    if t_rate and p_rate:
        t_cpu = float(t.get("cpu") or 0.0)
        print(
            f"  the floor on Tantivy (T: raw bytes into SQLite, three text fields into Tantivy, nothing "
            f"of the hub's): {t_rate:,.0f} records/s = {t_rate / p_rate:.2f} x P, {t_cpu / n * 1e6:.0f} us "
            f"of CPU per record (stored {t.get('stored')}, indexed {t.get('indexed')}); "
            f"B/T = {b_rate / t_rate:.2f}"
        )
    verdict = _verdict(ratio >= TARGET_RATIO and _pipeline_ok(b))  # a failed run has no throughput
    print(f"throughput ratio B/A = {ratio:.2f} (target >= {TARGET_RATIO:.2f})    {verdict}")
    f_rate = rate(f, int(f.get("indexed", 0)))
    if a_rate and f_rate:
        print(
            f"engine floor F/A = {f_rate / a_rate:.2f}: the raw-store and FTS5 writes alone, no crosswalk "
            f"(F indexed {f.get('indexed')} of {n}); B/F = {b_rate / f_rate:.2f}"
        )
    g_rate = rate(g, int(g.get("indexed", 0)))
    if a_rate and g_rate:
        g_cpu = float(g.get("cpu") or 0.0) + float(g.get("writer_cpu") or 0.0)
        print(
            f"engine floor on both cores G/A = {g_rate / a_rate:.2f} (target of B: {TARGET_RATIO:.2f}): "
            f"fetch, parse and raw bytes cut from the page in one process, the two files written by two "
            f"more (G stored {g.get('stored')}, indexed {g.get('indexed')} of {n}; "
            f"CPU {g_cpu:.2f} s in all, {g.get('writer_cpu', 0.0):.2f} s of it writing)"
        )
    for key, what in RENORMALISINGS:
        again = b.get(key)
        if isinstance(again, dict) and again.get("seconds") and b_rate:
            again_rate = n / again["seconds"]
            ok = again_rate >= TARGET_RENORMALISE * b_rate and again["status"] == "renormalised"
            print(
                f"re-normalising the store after B ({what}; gkss renormalise, no fetching): "
                f"{again_rate:,.0f} records/s = {again_rate / b_rate:.2f} x B (target >= "
                f"{TARGET_RENORMALISE:.0f})    {_verdict(ok)}\n"
                f"  {again['cpu'] / n * 1e6:.0f} us of CPU per record in its process, "
                f"{float(again.get('helpers_cpu') or 0.0) / n * 1e6:.0f} in its normalising helpers; "
                f"{again['unchanged']} unchanged, "
                f"{again['updated']} updated (status {again['status']})"
            )
    if "same_without_memos" in b:
        print(
            "every stored Resource the same re-normalised with the memos and without "
            f"(a digest of all {n:,} records)    {_verdict(bool(b['same_without_memos']))}"
        )
    _print_cpu_budget(n, a, b, g)
    writes = float(f.get("write_seconds") or 0.0)
    if a_rate and writes:
        alone = int(f.get("indexed", 0)) / writes
        print(
            f"  the floor's writes alone (raw bytes, two SQLite files): {alone:,.0f} records/s "
            f"= {alone / a_rate:.2f} of A, the bound of a pipeline whose fetching and parsing cost nothing"
        )
    a_cpu, b_cpu = a.get("cpu"), b.get("cpu")
    if isinstance(a_cpu, float) and isinstance(b_cpu, float) and a_cpu > 0 and b_cpu > 0:
        print(f"  (by CPU time: B/A = {(n / b_cpu) / (int(a.get('records', 0)) / a_cpu):.2f})")
    if isinstance(rss_n, float) and isinstance(rss_q, float):
        verdict = _verdict(max(rss_n, rss_q) < TARGET_RSS_MB)
        print(
            f"peak RSS of B: N/4 {rss_q:.1f} MB, N {rss_n:.1f} MB (target < {TARGET_RSS_MB:.0f} MB)    "
            f"{verdict}"
        )
        print(f"RSS growth N/4 -> N: {rss_n - rss_q:+.1f} MB", end="")
        anon_n, anon_q = b.get("peak_RssAnon"), b_quarter.get("peak_RssAnon")
        if isinstance(anon_n, float) and isinstance(anon_q, float):
            print(f" (anonymous memory: {anon_n - anon_q:+.1f} MB)", end="")
        print()
    else:
        print(f"peak RSS of B: not measured (a run crashed)    {_verdict(False)}")


def _print_cpu_budget(n: int, a: dict[str, Any], b: dict[str, Any], g: dict[str, Any]) -> None:
    """What the target leaves, in CPU seconds: B in twice A's time on this machine's cores, less what
    the replay server spends serving the pages (measured in run A) and the floor's own work (run G)."""
    cores = os.cpu_count() or 1
    a_seconds, server = float(a.get("seconds") or 0.0), float(a.get("server_cpu") or 0.0)
    floor = float(g.get("cpu") or 0.0) + float(g.get("writer_cpu") or 0.0)
    b_cpu = float(b.get("cpu") or 0.0)
    if not (a_seconds and floor and b_cpu) or g.get("crashed") or b.get("crashed"):
        return
    budget = cores * a_seconds / TARGET_RATIO
    left = budget - server - floor
    print(
        f"CPU budget at the target: {budget:.1f} s ({cores} cores x {a_seconds / TARGET_RATIO:.1f} s); the "
        f"server's share {server:.1f} s, the floor's work (G) {floor:.1f} s, leaving {left:.1f} s = "
        f"{left / n * 1e6:.0f} us per record for all the pipeline does beyond the floor (crosswalk, "
        f"enrichment, normalised record, facets); B spends {(b_cpu - floor) / n * 1e6:.0f} us per record "
        "beyond it"
    )
