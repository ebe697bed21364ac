"""What instructors and students read: feedback pages, LMS exports, batch summary."""
import csv
import html
import io
import json
import statistics
from pathlib import Path

from grader.grade import max_score, score, write_atomically

STATUS_TEXT = {
    "correct": ("correcto", "correct"),
    "wrong": ("incorrecto", "wrong"),
    "not-attempted": ("sin hacer", "not attempted"),
    "timeout": ("tiempo agotado", "timed out"),
    "crashed": ("el proceso se cayó", "crashed"),
}
ROW_STATUS_TEXT = {
    "graded": ("calificado", "graded"),
    "invalid-notebook": ("el archivo no es un cuaderno válido", "the file is not a valid notebook"),
    "unknown-assignment": ("no se reconoce la práctica", "unknown assignment"),
    "timeout": ("calificado; hubo límites de tiempo superados", "graded; some time limits were exceeded"),
    "kernel-died": ("calificado; el kernel murió durante la ejecución", "graded; the kernel died while running"),
    "memory-limit": ("calificado; se superó el límite de memoria", "graded; the memory limit was exceeded"),
    "syntax-error": ("calificado; hay celdas con errores de sintaxis", "graded; some cells have syntax errors"),
    "grader-error": ("error interno del corrector", "internal grader error"),
}
LABELS = {
    "title": ("Informe de corrección", "Grading report"),
    "student": ("Estudiante", "Student"),
    "assignment": ("Práctica", "Assignment"),
    "score": ("Puntuación", "Score"),
    "status": ("Estado", "Status"),
    "exercise": ("Ejercicio", "Exercise"),
    "points": ("Puntos", "Points"),
    "result": ("Resultado", "Result"),
    "reason": ("Motivo", "Reason"),
    "notes": ("Incidencias de la ejecución", "Execution notes"),
}


def _pick(pair, lang):
    return pair[1] if lang == "en" else pair[0]


def feedback_rows(result: dict, lang: str) -> list[tuple[str, str, str, str]]:
    title_key = "title_en" if lang == "en" else "title_es"
    return [(f"{e['id']} {e[title_key]}", f"{e['points']}/{e['max_points']}",
             _pick(STATUS_TEXT.get(e["status"], (e["status"], e["status"])), lang), e[lang])
            for e in result["exercises"]]


def feedback_markdown(result: dict, lang: str) -> str:
    label = {key: _pick(value, lang) for key, value in LABELS.items()}
    status = _pick(ROW_STATUS_TEXT.get(result["status"], (result["status"],) * 2), lang)
    lines = [f"# {label['title']}: {result['assignment']}", "",
             f"- **{label['student']}:** {result['student']}",
             f"- **{label['score']}:** {score(result)}/{max_score(result)}",
             f"- **{label['status']}:** {status}", "",
             f"| {label['exercise']} | {label['points']} | {label['result']} | {label['reason']} |",
             "|---|---|---|---|"]
    lines += [f"| {name} | {points} | {verdict} | {reason.replace('|', '/')} |"
              for name, points, verdict, reason in feedback_rows(result, lang)]
    if result.get("problems"):
        lines += ["", f"## {label['notes']}", ""] + [f"- {p[lang]}" for p in result["problems"]]
    return "\n".join(lines) + "\n"


def feedback_html(result: dict, lang: str) -> str:
    label = {key: _pick(value, lang) for key, value in LABELS.items()}
    status = _pick(ROW_STATUS_TEXT.get(result["status"], (result["status"],) * 2), lang)
    escape = html.escape
    rows = "\n".join(
        f"<tr class='{escape(e['status'])}'><td>{escape(name)}</td><td>{escape(points)}</td>"
        f"<td>{escape(verdict)}</td><td>{escape(reason)}</td></tr>"
        for e, (name, points, verdict, reason) in zip(result["exercises"], feedback_rows(result, lang)))
    notes = "".join(f"<li>{escape(p[lang])}</li>" for p in result.get("problems", []))
    notes = f"<h2>{escape(label['notes'])}</h2><ul>{notes}</ul>" if notes else ""
    return f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{escape(label['title'])}: {escape(result['assignment'])}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}table{{border-collapse:collapse;width:100%}}
td,th{{border:1px solid #ccc;padding:.4em;text-align:left;vertical-align:top}}
tr.correct td:nth-child(3){{color:#1a7f37}}tr.wrong td:nth-child(3){{color:#cf222e}}</style></head><body>
<h1>{escape(label['title'])}: {escape(result['assignment'])}</h1>
<p><b>{escape(label['student'])}:</b> {escape(result['student'])}<br>
<b>{escape(label['score'])}:</b> {score(result)}/{max_score(result)}<br>
<b>{escape(label['status'])}:</b> {escape(status)}</p>
<table><tr><th>{escape(label['exercise'])}</th><th>{escape(label['points'])}</th><th>{escape(label['result'])}</th>
<th>{escape(label['reason'])}</th></tr>
{rows}
</table>
{notes}
</body></html>
"""


def write_feedback(result: dict, folder: Path, lang: str) -> None:
    write_atomically(folder / f"{result['key']}.md", feedback_markdown(result, lang))
    write_atomically(folder / f"{result['key']}.html", feedback_html(result, lang))


def write_gradescope(results: list[dict], folder: Path, lang: str) -> None:
    """One Gradescope autograder results.json per submission (the format Gradescope reads)."""
    for result in results:
        document = {
            "score": score(result),
            "output": _pick(ROW_STATUS_TEXT.get(result["status"], (result["status"],) * 2), lang),
            "tests": [{"name": name, "score": e["points"], "max_score": e["max_points"], "output": reason,
                       "status": "passed" if e["status"] == "correct" else "failed"}
                      for e, (name, _, _, reason) in zip(result["exercises"], feedback_rows(result, lang))],
        }
        write_atomically(folder / result["key"] / "results.json", json.dumps(document, ensure_ascii=False, indent=1))


def moodle_csv(results: list[dict]) -> str:
    """Moodle 'Import grades from CSV': one row per student, one column per assignment (points).

    Map the `username` column to the Moodle username and each assignment column
    to its grade item when importing.
    """
    assignments = sorted({r["assignment"] for r in results})
    by_student = {}
    for r in results:
        by_student.setdefault(r["student"], {})[r["assignment"]] = score(r)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["username", *assignments])
    for student in sorted(by_student):
        writer.writerow([student, *[by_student[student].get(a, "") for a in assignments]])
    return buffer.getvalue()


def summary(results: list[dict], plot_path: Path) -> str:
    if not results:
        return "No submissions graded."
    percentages = [100 * score(r) / max_score(r) if max_score(r) else 0.0 for r in results]
    bins = [0] * 10
    for value in percentages:
        bins[min(int(value // 10), 9)] += 1
    lines = [f"{len(results)} submissions: mean {statistics.mean(percentages):.1f} %, "
             f"median {statistics.median(percentages):.1f} %"]
    lines += [f"  {10 * i:3d}-{10 * i + 10:3d} % | {'#' * count} {count}" for i, count in enumerate(bins)]
    statuses = {}
    for r in results:
        statuses[r["status"]] = statuses.get(r["status"], 0) + 1
    lines.append("  status: " + ", ".join(f"{name} {count}" for name, count in sorted(statuses.items())))
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        figure, ax = plt.subplots(figsize=(6, 3.5))
        ax.hist(percentages, bins=range(0, 101, 10), edgecolor="black")
        ax.set_xlabel("score (%)")
        ax.set_ylabel("submissions")
        ax.set_title(f"{len(results)} submissions, median {statistics.median(percentages):.0f} %")
        figure.tight_layout()
        plot_path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(plot_path)
        plt.close(figure)
        lines.append(f"  histogram: {plot_path}")
    except Exception as error:  # the summary text matters more than the picture
        lines.append(f"  (no plot: {error})")
    return "\n".join(lines)
