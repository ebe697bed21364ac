"""Bilingual messages: Spanish by default, English with GRADER_LANG=en."""
import os
from dataclasses import dataclass

LANG_ENV = "GRADER_LANG"


def language() -> str:
    lang = os.environ.get(LANG_ENV, "es").strip().lower()[:2]
    return lang if lang in ("es", "en") else "es"


@dataclass(frozen=True)
class Msg:
    """A message in both languages; str() picks the current one."""
    es: str
    en: str

    def text(self, lang: str | None = None) -> str:
        return self.en if (lang or language()) == "en" else self.es

    def __str__(self) -> str:
        return self.text()

    def format(self, **values) -> "Msg":
        return Msg(self.es.format(**values), self.en.format(**values))
