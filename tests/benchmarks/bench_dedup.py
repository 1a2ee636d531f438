"""On-demand benchmark: cross-source deduplication quality and speed on real payloads.

Not collected by pytest. Run it from the repository::

    python tests/benchmarks/bench_dedup.py [--repeat 20]

Corpus (tests/support/dedup_corpus.py): 295 records of four sources, 41 same-document pairs known
from the payloads' own identifiers (CBD meetings through the CBD index and InforMEA; CBD
notifications through the CBD index and a Bioland site), 239 notifications whose workshop and
nomination titles are near-identical hard negatives. Pairwise precision, recall and F1 of the
same-document pairs found, for ``normalizers.dedup.find_duplicates`` at several title thresholds and
two baselines measured in the same run: canonical URL rules only, and identical titles only (after
case and accent folding). Issue 4 sets no numeric target: REPORTED.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from normalizers.dedup import find_duplicates, same_document_pairs, title_words
from normalizers.resource import Resource
from tests.support.dedup_corpus import build


def exact_titles(records: list[Resource]) -> set[frozenset[str]]:
    by_title: dict[str, list[Resource]] = {}
    for record in records:
        for title in set(record.title.values()):
            by_title.setdefault(" ".join(title_words(title)), []).append(record)
    found: set[frozenset[str]] = set()
    for group in by_title.values():
        for i, left in enumerate(group):
            for right in group[i + 1 :]:
                if left.source != right.source:
                    found.add(frozenset((left.id, right.id)))
    return found


def report(name: str, found: set[frozenset[str]], truth: set[frozenset[str]], seconds: float) -> None:
    tp, fp, fn = len(found & truth), len(found - truth), len(truth - found)
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    print(f"{name:<28}{p:>7.2f}{r:>7.2f}{f1:>7.2f}{tp:>5}{fp:>5}{fn:>5}{seconds * 1000:>10.1f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    records, truth = build()
    print(f"{len(records)} records, {len(truth)} same-document pairs")
    print(f"{'method':<28}{'P':>7}{'R':>7}{'F1':>7}{'tp':>5}{'fp':>5}{'fn':>5}{'ms/run':>10}")
    started = time.perf_counter()
    url_only = same_document_pairs(find_duplicates(records, threshold=2.0))  # no title can reach 2.0
    report("baseline: URL rules only", url_only, truth, time.perf_counter() - started)
    started = time.perf_counter()
    report("baseline: identical titles", exact_titles(records), truth, time.perf_counter() - started)
    for threshold in (0.7, 0.8, 0.9, 0.95):
        started = time.perf_counter()
        for _ in range(args.repeat):
            found = same_document_pairs(find_duplicates(records, threshold=threshold))
        elapsed = (time.perf_counter() - started) / args.repeat
        report(
            f"URL + titles >= {threshold}" + (" (default)" if threshold == 0.9 else ""), found, truth, elapsed
        )
    print("target: none set by issue 4 (dedup quality measured and reported): REPORTED")


if __name__ == "__main__":
    main()
