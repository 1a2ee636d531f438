"""On-demand benchmark: language identification on texts whose language their source states.

Not collected by pytest. Run it from the repository::

    python tests/benchmarks/bench_language_id.py [--min-chars 20] [--repeat 5]

The labelled set is tests/fixtures/language_id/labelled.tsv (built from shared/testdata by
language_corpus.py; the source states each text's language). Texts shorter than ``--min-chars``
are left out of the accuracy (issue 19 measures texts of 20 characters or more). ``None`` /
``unknown`` counts as a miss.

Detectors, all in the same run on the same texts:

* ``today``: the six-UN-language stop-word heuristic the hub had (language_id_baseline.py);
* ``hub``: ``normalizers.language_detect.detect_language`` as shipped (py3langid over all its
  languages, the network's preferred unless another is >= 0.9 sure; "unknown" below its length and
  confidence floors);
* ``py3langid-all`` / ``py3langid-net``: py3langid 0.4.0 over its 97 languages / the network's;
* ``lingua-low-all`` / ``lingua-net`` / ``lingua-net-low``: lingua-language-detector 2.1.1 over
  its 75 languages (low-accuracy mode) / the network's (high and low accuracy mode).

Printed: accuracy and µs per record on titles and on descriptions, the model's load time, and
per-language precision / recall / F1 for each detector (a language's recall is its accuracy).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from normalizers.language_detect import NETWORK_LANGUAGES, detect_language
from tests.benchmarks.language_corpus import load
from tests.benchmarks.language_id_baseline import detect_language as today

Detector = Callable[[str], str | None]


def py3langid_detector(languages: tuple[str, ...] | None) -> Detector:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    if languages:
        identifier.set_languages([lang for lang in languages if lang in identifier.nb_classes])

    def detect(text: str) -> str | None:
        return str(identifier.classify(text)[0])

    return detect


def lingua_detector(languages: tuple[str, ...] | None, *, low: bool) -> Detector:
    from lingua import Language, LanguageDetectorBuilder

    if languages:
        known = {language.iso_code_639_1.name.lower(): language for language in Language.all()}
        builder = LanguageDetectorBuilder.from_languages(*(known[c] for c in languages if c in known))
    else:
        builder = LanguageDetectorBuilder.from_all_languages()
    if low:
        builder = builder.with_low_accuracy_mode()
    detector = builder.build()

    def detect(text: str) -> str | None:
        found = detector.detect_language_of(text)
        return found.iso_code_639_1.name.lower() if found is not None else None

    return detect


def per_language(rows: list[tuple[str, str | None]]) -> dict[str, tuple[float, float, float, int]]:
    stated = Counter(lang for lang, _ in rows)
    found = Counter(guess for _, guess in rows if guess)
    right = Counter(lang for lang, guess in rows if lang == guess)
    out: dict[str, tuple[float, float, float, int]] = {}
    for lang in sorted(stated, key=lambda code: (-stated[code], code)):
        precision = right[lang] / found[lang] if found[lang] else 0.0
        recall = right[lang] / stated[lang]
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[lang] = (precision, recall, f1, stated[lang])
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--min-chars", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    labelled = [(lang, kind, text) for lang, kind, _, text in load() if len(text) >= args.min_chars]
    builders: dict[str, Callable[[], Detector]] = {
        "today": lambda: today,
        "hub": lambda: detect_language,
        "py3langid-all": lambda: py3langid_detector(None),
        "py3langid-net": lambda: py3langid_detector(NETWORK_LANGUAGES),
        "lingua-low-all": lambda: lingua_detector(None, low=True),
        "lingua-net": lambda: lingua_detector(NETWORK_LANGUAGES, low=False),
        "lingua-net-low": lambda: lingua_detector(NETWORK_LANGUAGES, low=True),
    }
    kinds = Counter(kind for _, kind, _ in labelled)
    languages = Counter(lang for lang, _, _ in labelled)
    print(f"{len(labelled)} texts >= {args.min_chars} chars: {dict(kinds)}; languages {dict(languages)}")
    print(f"network languages ({len(NETWORK_LANGUAGES)}): {' '.join(NETWORK_LANGUAGES)}")
    print(f"{'detector':<16}{'load s':>8}{'acc':>7}{'acc net':>8}{'title µs':>10}{'descr µs':>10}")
    tables: dict[str, dict[str, tuple[float, float, float, int]]] = {}
    detectors: dict[str, Detector] = {}
    rows: dict[str, tuple[float, float, float]] = {}
    for name, build in builders.items():
        started = time.perf_counter()
        try:
            detect = build()
        except ImportError as error:  # lingua is a peer measured here, not a dependency of the hub
            print(f"{name:<16}not installed ({error.name}): pip install lingua-language-detector==2.1.1")
            continue
        detect("warm up the model before timing it: a text long enough to be classified")
        load_s = time.perf_counter() - started
        guesses = [(lang, detect(text)) for lang, _, text in labelled]
        accuracy = sum(lang == guess for lang, guess in guesses) / len(guesses)
        net = [(lang, guess) for lang, guess in guesses if lang in NETWORK_LANGUAGES]
        rows[name] = (load_s, accuracy, sum(lang == guess for lang, guess in net) / len(net))
        tables[name] = per_language(guesses)
        detectors[name] = detect
    # timing in interleaved rounds, so a change of machine load weighs on every detector alike
    spent = {(name, kind): 0.0 for name in detectors for kind in ("title", "description")}
    texts = {kind: [text for _, k, text in labelled if k == kind] for kind in ("title", "description")}
    for _ in range(args.repeat):
        for name, detect in detectors.items():
            for kind, chosen in texts.items():
                started = time.perf_counter()
                for text in chosen:
                    detect(text)
                spent[(name, kind)] += time.perf_counter() - started
    for name, (load_s, accuracy, net_accuracy) in rows.items():
        title, description = (
            spent[(name, kind)] / (args.repeat * len(texts[kind])) * 1e6 for kind in ("title", "description")
        )
        print(
            f"{name:<16}{load_s:>8.2f}{accuracy:>7.3f}{net_accuracy:>8.3f}{title:>10.1f}{description:>10.1f}"
        )
    print("\nper language: P / R / F1 (n = texts stated in that language)")
    names = list(tables)
    print(f"{'lang':<6}{'n':>4}  " + "".join(f"{n:>22}" for n in names))
    for lang, (_, _, _, count) in tables["today"].items():
        cells = "".join(f"{'/'.join(f'{v:.2f}' for v in tables[n][lang][:3]):>22}" for n in names)
        print(f"{lang:<6}{count:>4}  {cells}")
    tens = {n: sum(1 for lang, v in tables[n].items() if v[1] >= 0.95) for n in names}
    print("\nlanguages with accuracy >= 0.95:", tens)


if __name__ == "__main__":
    main()
