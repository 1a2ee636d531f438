"""The search benchmarks' corpus and query mix: synthetic documents recombined from the real contract
corpus (tests/fixtures/contract/corpus.json), and a fixed mix of queries over the same vocabulary.

Document ``i`` copies the language keys, type and source of a corpus record picked at random, and its
title (4-14 words), description (20-80 words) and subjects (0-4) per language are words drawn from that
language's words in the corpus, with their real frequencies (so common words are common). CJK text is
drawn as 2-4 character pieces of the corpus' CJK titles. The source is one of ten per corpus source;
countries (0-3 of 60, skewed), GBF targets (0-3 of 23, skewed) and dates (2000-2026) are drawn at
random. All from one seed: the same seed gives the same documents and queries to every engine (the
FTS5 comparison runs this module under the old code).
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

from hub.search.base import SearchQuery
from normalizers.resource import Provenance, Resource

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "contract" / "corpus.json"
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]+")
_WORD = re.compile(r"[^\W\d_]+")
# Function words left out of the "common" query words (nobody searches for "which").
STOPWORDS = frozenset(
    {
     "about", "after", "again", "against", "among", "another", "because", "been", "before", "being",
     "below", "between", "both", "could", "does", "doing", "during", "each", "from", "further",
     "have", "having", "here", "into", "itself", "more", "most", "other", "over", "same", "should",
     "some", "such", "than", "that", "their", "theirs", "them", "then", "there", "these", "they",
     "this", "those", "through", "under", "until", "very", "were", "what", "when", "where", "which",
     "while", "whom", "with", "would", "your", "also", "only", "first",
    }
)  # fmt: skip


class Vocabulary:
    """Words of the real corpus, per language, with their frequencies."""

    def __init__(self, corpus: list[Resource]) -> None:
        self.words: dict[str, list[str]] = defaultdict(list)
        self.subjects = [s for r in corpus for s in r.subjects] or ["biodiversity"]
        self.templates = corpus
        for record in corpus:
            for field in (record.title, record.description):
                for lang, text in field.items():
                    self.words[lang].extend(self._tokens(text))
        english = [w.lower() for lang in ("en", "und") for w in self.words[lang]]
        counts = Counter(w for w in english if len(w) >= 5 and w not in STOPWORDS)
        self.common = [w for w, _ in counts.most_common(30)]
        self.rare = sorted({w.lower() for w in english if len(w) >= 4})

    @staticmethod
    def _tokens(text: str) -> list[str]:
        pieces: list[str] = []
        for run in _CJK.findall(text):
            pieces.extend(run[i : i + 3] for i in range(0, len(run), 3))
        return pieces + _WORD.findall(_CJK.sub(" ", text))

    def text(self, rng: random.Random, lang: str, low: int, high: int) -> str:
        pool = self.words.get(lang) or self.words["en"]
        return " ".join(rng.choice(pool) for _ in range(rng.randint(low, high)))


def synthetic(n: int, vocabulary: Vocabulary, seed: int) -> Iterator[Resource]:
    """The ``n`` documents, made one by one (never all in memory)."""
    rng = random.Random(seed)
    countries = ["KE", "CA", "CO", "BR", "FR", "CN", "IN", "ZA", "AU", "MX", "PE", "NO", "DE", "IT", "ES"]
    countries += [f"{a}{b}" for a in "ABGLMNST" for b in "EGHLMN"][:45]
    targets = [f"GBF-TARGET-{i:02d}" for i in range(1, 24)]
    start = date(2000, 1, 1)
    for i in range(n):
        template = rng.choice(vocabulary.templates)
        langs = list(template.title) or ["en"]
        source = f"{template.source}-{rng.randrange(10)}"
        native = f"bench-{i}"
        yield (
            Resource(
                id=f"{source}-{i:08d}",
                source=source,
                native_id=native,
                title={lang: vocabulary.text(rng, lang, 4, 14) for lang in langs},
                description={lang: vocabulary.text(rng, lang, 20, 80) for lang in langs[:2]},
                type=template.type,
                published=start + timedelta(days=rng.randrange(27 * 365)),
                subjects=rng.sample(vocabulary.subjects, k=min(len(vocabulary.subjects), rng.randint(0, 4))),
                languages=[lang for lang in langs if lang != "und"],
                countries=sorted(
                    {countries[min(int(rng.paretovariate(1.0)) - 1, 59)] for _ in range(rng.randint(0, 3))}
                ),
                gbf_targets=sorted(
                    {targets[min(int(rng.paretovariate(0.8)) - 1, 22)] for _ in range(rng.randint(0, 3))}
                ),
                provenance=Provenance(
                    source=source, protocol="bench", native_id=native, payload_hash="0", content_type="bench"
                ),
            )
        )


def query_mix(
    vocabulary: Vocabulary, docs: list[Resource], count: int, seed: int
) -> list[tuple[str, SearchQuery]]:
    rng = random.Random(seed + 1)
    types = sorted({d.type for d in docs})
    countries = [c for d in docs[:5000] for c in d.countries]
    kinds: list[tuple[str, Callable[[], SearchQuery]]] = [
        ("text-common", lambda: SearchQuery(text=rng.choice(vocabulary.common))),
        ("text-rare", lambda: SearchQuery(text=rng.choice(vocabulary.rare))),
        (
            "text-two",
            lambda: SearchQuery(text=f"{rng.choice(vocabulary.rare)} {rng.choice(vocabulary.common)}"),
        ),
        (
            "prefix",
            lambda: SearchQuery(text=rng.choice([w for w in vocabulary.common if len(w) > 4])[:4] + "*"),
        ),
        ("text-filter", lambda: SearchQuery(text=rng.choice(vocabulary.common), type=(rng.choice(types),))),
        ("text-date", lambda: SearchQuery(text=rng.choice(vocabulary.rare), sort="date")),
        ("filter", lambda: SearchQuery(country=(rng.choice(countries),))),
        ("filter", lambda: SearchQuery(type=(rng.choice(types),), year=(rng.randint(2000, 2026),))),
        ("browse", lambda: SearchQuery()),
        ("page", lambda: SearchQuery(text=rng.choice(vocabulary.common), offset=10 * rng.randint(1, 5))),
    ]
    return [(name, make()) for name, make in (rng.choice(kinds) for _ in range(count))]


# Which class of the acceptance figures each kind of query belongs to.
CLASSES = {
    "text-common": "text", "text-rare": "text", "text-two": "text", "prefix": "text", "text-date": "text",
    "page": "text", "text-filter": "filtered", "filter": "filtered", "browse": "browse",
}  # fmt: skip


def load_vocabulary() -> Vocabulary:
    data = json.loads(CORPUS.read_text(encoding="utf-8"))
    corpus = [Resource.model_validate(r) for r in (data["resources"] if isinstance(data, dict) else data)]
    return Vocabulary(corpus)


def http_params(query: SearchQuery) -> list[tuple[str, str]]:
    """The /api/search parameters of a SearchQuery of the mix (text, type, country, year, sort, page)."""
    params = [("q", query.text)] if query.text else []
    for name in ("type", "country", "year"):
        params.extend((name, str(value)) for value in getattr(query, name))
    size = max(1, query.size)
    return [*params, ("sort", query.sort), ("size", str(size)), ("page", str(query.offset // size + 1))]


def sample_of(vocabulary: Vocabulary, seed: int, n: int = 100) -> list[Resource]:
    """Documents the query mix draws its filter values from (the first of the corpus, by seed)."""
    return list(synthetic(n, vocabulary, seed))
