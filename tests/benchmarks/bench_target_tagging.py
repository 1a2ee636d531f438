"""On-demand benchmark: GBF target tagging quality against records whose targets the source states.

Not collected by pytest. Run it from the repository::

    python tests/benchmarks/bench_target_tagging.py [--testdata ../shared/testdata]

Records whose targets a CBD source states (real data, ../shared/testdata/cbd):

* ``indicators``: the 204 monitoring-framework indicators of the ORT list; every indicator whose code
  starts with a target number (``3.1``, ``6.b``, ``8.CY.2``) states that target. Text: its title
  with the code removed.
* ``binary-questions``: the 16 NR7 binary-indicator question blocks; a block states its target
  (``GBF-TARGET-012`` read as 12; goal blocks are left out). Text: its question titles.
* ``meetings``: the raw CBD index meeting documents; ``themes_REL_ss`` states their GBF targets.
  Text: the titles in every language (``title_*_t``).

The stated targets are held out: the taggers see only the text. The topic phrases of
``normalizers/target_inference.py`` were written from the targets' short titles, never from these
records; the records are split by position (odd/even) into two halves reported separately, so a
phrase list fitted to one half would show as a gap between them.

Taggers: ``baseline`` the hub's original tagger (``normalizers.tagging.tag_targets``, explicit
English-centred mentions), ``explicit`` six-language explicit mentions, ``keywords`` explicit plus
topic phrases. Micro precision / recall / F1 over (record, target) pairs, and the ratio of each F1 to
the baseline's. Issue 4 sets no numeric target ("measured, not assumed"): the result is REPORTED.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from normalizers.tagging import tag_targets
from normalizers.target_inference import explicit_targets, infer_targets

Record = tuple[str, set[str]]
LANG_SUFFIXES = ("EN", "FR", "ES", "AR", "RU", "ZH")


def indicators(testdata: Path) -> list[Record]:
    out: list[Record] = []
    for item in json.loads(
        (testdata / "cbd" / "ort_gbf_indicators_identifier_code_title.json").read_text("utf-8")
    ):
        head = item["code"].split(".", 1)[0]
        if not head.isdigit():
            continue
        text = item["title"]
        if text.startswith(item["code"]):
            text = text[len(item["code"]) :].lstrip(". ")
        out.append((text, {f"GBF-TARGET-{int(head):02d}"}))
    return out


def binary_questions(testdata: Path) -> list[Record]:
    out: list[Record] = []
    for block in json.loads(
        (testdata / "cbd" / "ort_nr7_binary_indicator_questions_en.json").read_text("utf-8")
    ):
        match = re.fullmatch(r"GBF-TARGET-0*(\d+)", block["target"])
        if not match:
            continue
        text = " ".join(q["title"] for q in block["questions"] if q.get("title"))
        out.append((text, {f"GBF-TARGET-{int(match.group(1)):02d}"}))
    return out


def meetings(testdata: Path) -> list[Record]:
    out: list[Record] = []
    for doc in json.loads((testdata / "cbd" / "index_raw_docs_schema_meeting.json").read_text("utf-8")):
        stated = {v for v in doc.get("themes_REL_ss", []) if re.fullmatch(r"GBF-TARGET-\d\d", v)}
        if not stated:
            continue
        titles = [doc.get("title_t", "")] + [doc.get(f"title_{s}_t", "") for s in LANG_SUFFIXES]
        out.append(("\n".join(dict.fromkeys(t for t in titles if t)), stated))
    return out


def score(
    tagger: Callable[[str], set[str]], records: list[Record]
) -> tuple[float, float, float, int, int, int]:
    tp = fp = fn = 0
    for text, stated in records:
        found = tagger(text)
        tp += len(found & stated)
        fp += len(found - stated)
        fn += len(stated - found)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1, tp, fp, fn


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--testdata", type=Path, default=Path(__file__).resolve().parents[2] / ".." / "shared" / "testdata"
    )
    args = parser.parse_args()
    sets = {
        "indicators": indicators(args.testdata),
        "binary-questions": binary_questions(args.testdata),
        "meetings": meetings(args.testdata),
    }
    taggers: dict[str, Callable[[str], set[str]]] = {
        "baseline": tag_targets,
        "explicit": explicit_targets,
        "keywords": lambda text: infer_targets(text, keywords=True),
    }
    print(
        f"{'set':<18}{'half':<6}{'records':>8}  {'tagger':<9}{'P':>7}{'R':>7}{'F1':>7}"
        f"{'tp':>6}{'fp':>6}{'fn':>6}  F1/base"
    )
    for name, records in {**sets, "all": [r for rs in sets.values() for r in rs]}.items():
        for half, chosen in (("odd", records[0::2]), ("even", records[1::2]), ("both", records)):
            base_f1 = score(taggers["baseline"], chosen)[2]
            for tagger_name, tagger in taggers.items():
                p, r, f1, tp, fp, fn = score(tagger, chosen)
                ratio = f"{f1 / base_f1:.2f}" if base_f1 else ("inf" if f1 else "-")
                print(
                    f"{name:<18}{half:<6}{len(chosen):>8}  {tagger_name:<9}{p:>7.2f}{r:>7.2f}{f1:>7.2f}"
                    f"{tp:>6}{fp:>6}{fn:>6}  {ratio}"
                )
    texts = [text for rs in sets.values() for text, _ in rs] * 20
    for tagger_name, tagger in taggers.items():
        started = time.perf_counter()
        for text in texts:
            tagger(text)
        micro = (time.perf_counter() - started) / len(texts) * 1e6
        print(f"time {tagger_name}: {micro:.1f} µs per record")
    print("target: none set by issue 4 (precision and recall measured and reported): REPORTED")


if __name__ == "__main__":
    main()
