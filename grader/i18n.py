"""Bilingual messages: Spanish by default, English with GRADER_LANG=en."""
import os
from dataclasses import dataclass, field

LANG_ENV = "GRADER_LANG"
LANGUAGES = ("es", "en")


def language() -> str:
    lang = os.environ.get(LANG_ENV, "es").strip().lower()[:2]
    return lang if lang in LANGUAGES else "es"


@dataclass(frozen=True)
class Msg:
    """A message in both languages; str() picks the current one. A formatted message remembers the
    templates it came from (``key``, and ``key_en`` to show it in English), so reports can count the same
    mistake across students."""
    es: str
    en: str
    template: str = field(default="", compare=False, repr=False)
    template_en: str = field(default="", compare=False, repr=False)

    @property
    def key(self) -> str:
        return self.template or self.es

    @property
    def key_en(self) -> str:
        return self.template_en or self.en

    @classmethod
    def same(cls, text: str) -> "Msg":
        """Text that reads the same in both languages (a name, a number, a code snippet)."""
        return cls(text, text)

    def text(self, lang: str | None = None) -> str:
        return self.en if (lang or language()) == "en" else self.es

    def __str__(self) -> str:
        return self.text()

    def format(self, **values) -> "Msg":
        """str.format in each language; a Msg argument contributes its text in that same language."""
        def resolved(lang):
            return {name: value.text(lang) if isinstance(value, Msg) else value for name, value in values.items()}
        return Msg(self.es.format(**resolved("es")), self.en.format(**resolved("en")), self.key, self.key_en)


def plural(count: int, one: Msg, other: Msg) -> Msg:
    """``one`` or ``other``, formatted with ``count``: "1 práctica", "2 prácticas" (the same rule in both
    languages: only 1 is singular)."""
    return (one if count == 1 else other).format(count=count)


# Counted nouns of the reports.
SUBMISSIONS = (Msg("{count} entrega", "{count} submission"), Msg("{count} entregas", "{count} submissions"))
STUDENTS = (Msg("{count} estudiante", "{count} student"), Msg("{count} estudiantes", "{count} students"))
ASSIGNMENTS = (Msg("{count} práctica", "{count} assignment"), Msg("{count} prácticas", "{count} assignments"))
REASONS = (Msg("{count} motivo", "{count} reason"), Msg("{count} motivos", "{count} reasons"))
