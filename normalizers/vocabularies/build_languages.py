"""Build normalizers/data/languages.json: ISO 639 codes and names of every language with a 639-1 code.

Run by hand when the inputs change (not at run time; babel is not a dependency of the hub)::

    pip install babel==2.18.0
    python -m normalizers.vocabularies.build_languages

Inputs: pycountry's ISO 639-3 table (``alpha_2``, ``alpha_3``, ``bibliographic``, English name) and
babel's CLDR language names in the six UN languages. One entry per language with an ISO 639-1 code
(the BCP 47 primary subtag); a language without one (``ang`` Old English, ``fil``) keeps its
three-letter code, which BCP 47 takes as the primary subtag then.
"""

from __future__ import annotations

import json
from pathlib import Path

import pycountry
from babel import Locale

UN = ("ar", "en", "es", "fr", "ru", "zh")
OUT = Path(__file__).resolve().parents[1] / "data" / "languages.json"


def main() -> None:
    locales = {lang: Locale.parse(lang) for lang in UN}
    out: dict[str, dict[str, object]] = {}
    for language in pycountry.languages:
        code = getattr(language, "alpha_2", None)
        if not code:
            continue
        aliases = sorted({language.alpha_3, getattr(language, "bibliographic", language.alpha_3)} - {code})
        names: dict[str, str] = {}
        for lang, locale in locales.items():
            name = locale.languages.get(code)
            if name:
                names[lang] = name
        names.setdefault("en", language.name)
        out[code] = {"codes": aliases, "names": names}
    OUT.write_text(json.dumps(dict(sorted(out.items())), ensure_ascii=False, indent=0) + "\n", "utf-8")
    print(len(out), "languages ->", OUT)


if __name__ == "__main__":
    main()
