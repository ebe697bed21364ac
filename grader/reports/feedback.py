"""Per-student feedback pages, in Markdown and HTML: points and reason for every exercise."""
import html
import re
from pathlib import Path

from grader.core import SubmissionResult
from grader.grading.files import write_atomically
from grader.i18n import Msg

LABELS = {
    "title": Msg("Informe de corrección", "Grading report"),
    "student": Msg("Estudiante", "Student"),
    "score": Msg("Puntuación", "Score"),
    "status": Msg("Estado", "Status"),
    "exercise": Msg("Ejercicio", "Exercise"),
    "points": Msg("Puntos", "Points"),
    "result": Msg("Resultado", "Result"),
    "reason": Msg("Motivo", "Reason"),
    "notes": Msg("Incidencias de la ejecución", "Execution notes"),
}


MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]()<>|#!])")
MAX_SHOWN = 300  # characters of any one text a student's code may have shaped (names, error texts)


def shown(text: str) -> str:
    """A text as feedback shows it: one line, and short."""
    text = " ".join(str(text).split())
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN - 1] + "…"


def md(text: str) -> str:
    """Escaped for Markdown: student-derived text renders as text, never as links, HTML or table cells."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", shown(text))


def rows(result: SubmissionResult, lang: str) -> list[tuple[str, str, str, str]]:
    """(exercise, points, verdict, reason) for every exercise, in ``lang``."""
    return [(f"{e.id} {e.title.text(lang)}", f"{e.points}/{e.max_points}", e.status.label.text(lang),
             shown(e.message.text(lang))) for e in result.exercises]


def markdown(result: SubmissionResult, lang: str) -> str:
    label = {key: value.text(lang) for key, value in LABELS.items()}
    lines = [f"# {label['title']}: {md(result.assignment)}", "",
             f"- **{label['student']}:** {md(result.student)}",
             f"- **{label['score']}:** {result.score}/{result.max_score}",
             f"- **{label['status']}:** {result.status_label.text(lang)}", "",
             f"| {label['exercise']} | {label['points']} | {label['result']} | {label['reason']} |",
             "|---|---|---|---|"]
    lines += [f"| {md(name)} | {points} | {md(verdict)} | {md(reason)} |"
              for name, points, verdict, reason in rows(result, lang)]
    if result.notes:
        lines += ["", f"## {label['notes']}", ""] + [f"- {md(note.message.text(lang))}" for note in result.notes]
    return "\n".join(lines) + "\n"


def page(result: SubmissionResult, lang: str) -> str:
    label = {key: html.escape(value.text(lang)) for key, value in LABELS.items()}
    escape = html.escape
    table = "\n".join(
        f"<tr class='{escape(e.status.value)}'><td>{escape(name)}</td><td>{escape(points)}</td>"
        f"<td>{escape(verdict)}</td><td>{escape(reason)}</td></tr>"
        for e, (name, points, verdict, reason) in zip(result.exercises, rows(result, lang)))
    notes = "".join(f"<li>{escape(shown(note.message.text(lang)))}</li>" for note in result.notes)
    notes = f"<h2>{label['notes']}</h2><ul>{notes}</ul>" if notes else ""
    return f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{label['title']}: {escape(result.assignment)}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}table{{border-collapse:collapse;width:100%}}
td,th{{border:1px solid #ccc;padding:.4em;text-align:left;vertical-align:top}}
tr.correct td:nth-child(3){{color:#1a7f37}}tr.wrong td:nth-child(3){{color:#cf222e}}</style></head><body>
<h1>{label['title']}: {escape(result.assignment)}</h1>
<p><b>{label['student']}:</b> {escape(result.student)}<br>
<b>{label['score']}:</b> {result.score}/{result.max_score}<br>
<b>{label['status']}:</b> {escape(result.status_label.text(lang))}</p>
<table><tr><th>{label['exercise']}</th><th>{label['points']}</th><th>{label['result']}</th>
<th>{label['reason']}</th></tr>
{table}
</table>
{notes}
</body></html>
"""


def write(result: SubmissionResult, outdir: Path, lang: str) -> None:
    folder = outdir / "feedback"
    write_atomically(folder / f"{result.key}.md", markdown(result, lang))
    write_atomically(folder / f"{result.key}.html", page(result, lang))


def export(results: list[SubmissionResult], outdir: Path, lang: str) -> None:
    for result in results:
        write(result, outdir, lang)
