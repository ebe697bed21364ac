"""class_report.html: where the class struggles, for instructors, in the feedback language.

One self-contained page: no scripts, no external files (plots are matplotlib PNGs embedded as base64), so it
opens offline and can be mailed. Everything a student's input shaped (names, assignments from file names,
messages, code) is HTML-escaped, and never reaches a plot's text.
"""
import base64
import html
import io
import re
import statistics
import unicodedata
from collections import Counter
from pathlib import Path

from grader.core import ROW_LABELS, Status, SubmissionResult
from grader.grading.files import write_atomically
from grader.i18n import ASSIGNMENTS, REASONS, STUDENTS, SUBMISSIONS, Msg, plural
from grader.notebook import QUESTIONS
from grader.reports.feedback import shown
from grader.reports.gradebook import exercise_order
from grader.reports.similarity import COMMON, MIN_SHARED, THRESHOLD, Pair, similar_pairs
from grader.reports.summary import percentages

FILE = "class_report.html"
ATTEMPTED = {Status.CORRECT, Status.WRONG, Status.TIMEOUT, Status.CRASHED}
FAILED = (Status.WRONG, Status.TIMEOUT, Status.CRASHED)
SHARE_COLUMNS = (Status.CORRECT, Status.WRONG, Status.NOT_ATTEMPTED, Status.TIMEOUT, Status.CRASHED, Status.NOT_GRADED)
COLORS = {Status.CORRECT: "#2da44e", Status.WRONG: "#cf222e", Status.NOT_ATTEMPTED: "#afb8c1",
          Status.TIMEOUT: "#bf8700", Status.CRASHED: "#8250df", Status.NOT_GRADED: "#57606a"}
REASONS_SHOWN = 5       # per exercise and kind of case
STUDENTS_SHOWN = 100    # per incident
USAGE = [("kernel_cpu_seconds", Msg("CPU del cuaderno (s)", "notebook CPU (s)")),
         ("kernel_peak_mb", Msg("memoria máxima del cuaderno (MB)", "notebook peak memory (MB)")),
         ("sandbox_cpu_seconds", Msg("CPU de las funciones (s)", "functions' CPU (s)")),
         ("sandbox_peak_mb", Msg("memoria máxima de las funciones (MB)", "functions' peak memory (MB)")),
         ("judge_peak_mb", Msg("memoria máxima del juez (MB)", "judge's peak memory (MB)"))]

T = {
    "title": Msg("Informe de la clase", "Class report"),
    "intro": Msg("{submissions} de {students} en {assignments}.", "{submissions} from {students} in {assignments}."),
    "scores": Msg("Puntuaciones", "Scores"),
    "assignment": Msg("Práctica", "Assignment"),
    "submissions": Msg("Entregas", "Submissions"),
    "mean": Msg("Media", "Mean"),
    "median": Msg("Mediana", "Median"),
    "completion": Msg("Compleción", "Completion"),
    "completion_note": Msg(
        "Compleción: proporción de entregas con al menos un ejercicio intentado, es decir, con un resultado "
        "correcto, incorrecto, de tiempo agotado o de proceso caído (no «sin hacer» ni «sin calificar»).",
        "Completion: the share of submissions with at least one exercise attempted, that is, with a result that is "
        "correct, wrong, timed out or crashed (not \"not attempted\" and not \"not graded\")."),
    "histogram": Msg("Distribución de las puntuaciones (% de los puntos de cada práctica)",
                     "Score distribution (% of each assignment's points)"),
    "score_axis": Msg("puntuación (%)", "score (%)"),
    "count_axis": Msg("entregas", "submissions"),
    "exercises": Msg("Ejercicios", "Exercises"),
    "predictions": Msg("Predicciones", "Predictions"),
    "predictions_note": Msg(
        "Lo que predijo la clase en las preguntas «predice y ejecuta», antes de ver la respuesta (✔: la respuesta "
        "correcta). No cuenta para la nota.",
        "What the class predicted in the predict-then-run questions, before seeing the answer (✔: the right "
        "answer). It does not count towards the grade."),
    "predicted_most": Msg("{share} predijo «{choice}» ({made} de {total} entregas registraron una predicción).",
                          "{share} predicted \"{choice}\" ({made} of {total} submissions recorded a prediction)."),
    "choice": Msg("Opción", "Choice"),
    "exercise": Msg("Ejercicio", "Exercise"),
    "shares_plot": Msg("Resultado de cada ejercicio (proporción de entregas)",
                       "Result of each exercise (share of submissions)"),
    "reasons_public": Msg("Fallos en las pruebas públicas (las que el estudiante ve con check)",
                          "Failures in the public tests (the ones students see with check)"),
    "reasons_hidden": Msg("Fallos solo en pruebas ocultas (las públicas pasaban)",
                          "Failures in hidden tests only (the public ones passed)"),
    "reason": Msg("Motivo (plantilla del mensaje)", "Reason (message template)"),
    "example": Msg("Ejemplo", "Example"),
    "count": Msg("Entregas", "Submissions"),
    "share": Msg("% de las entregas", "% of submissions"),
    "more_reasons": Msg("y {reasons} más ({submissions})", "and {reasons} more ({submissions})"),
    "reasons_note": Msg(
        "Los fallos se agrupan por la plantilla del mensaje: el mismo error da la misma plantilla aunque los "
        "valores cambien («…» marca dónde iban). Dos errores que el corrector describe con la misma plantilla "
        "cuentan juntos: el ejemplo muestra uno. El porcentaje es sobre todas las entregas de la práctica.",
        "Failures are grouped by message template: the same mistake gives the same template even when the values "
        "differ (\"…\" marks where they went). Two mistakes the grader describes with the same template count "
        "together: the example shows one. Percentages are of all the assignment's submissions."),
    "roster": Msg("Roster", "Roster"),
    "roster_intro": Msg("Comparado con el roster de --roster (columna «{identifier}»): {mapped} estudiantes con "
                        "entrega tienen su fila.",
                        "Compared with the --roster file (column \"{identifier}\"): {mapped} students who submitted "
                        "have a row."),
    "not_in_roster": Msg("Con entrega pero sin fila en el roster: no están en moodle_grades.csv",
                         "Submitted but not in the roster: left out of moodle_grades.csv"),
    "without_submission": Msg("En el roster pero sin entrega", "In the roster but with no submission"),
    "nobody": Msg("nadie", "nobody"),
    "incidents": Msg("Incidencias", "Incidents"),
    "no_incidents": Msg("Ninguna entrega tuvo incidencias.", "No submission had incidents."),
    "incident": Msg("Incidencia", "Incident"),
    "students": Msg("Estudiantes afectados", "Students affected"),
    "messages": Msg("Qué pasó (ejemplos)", "What happened (examples)"),
    "more_students": Msg("y {count} más", "and {count} more"),
    "twins": Msg("Nombres que solo se distinguen por la normalización Unicode",
                 "Names that differ only by Unicode normalisation"),
    "twins_note": Msg(
        "Estos nombres se ven iguales pero se escriben con caracteres distintos (por ejemplo, «é» como un solo "
        "carácter o como «e» más un acento, según el sistema que creó la carpeta). Se califican como estudiantes "
        "distintos, cada uno en su fila: comprueba si son la misma persona.",
        "These names look the same but are written with different characters (for example \"é\" as one "
        "character, or as \"e\" plus an accent, depending on the system that made the folder). They are graded "
        "as different students, each in their own row: check whether they are the same person."),
    "usage": Msg("Tiempo y memoria por entrega", "Time and memory per submission"),
    "usage_note": Msg(
        "CPU y memoria medidas en las jaulas de cada entrega. Compáralas con los límites con que calificaste "
        "(--notebook-timeout, --cell-timeout, --exercise-timeout, --memory-mb) para ajustarlos: un límite "
        "muy por encima del máximo honesto solo da tiempo a los bucles infinitos.",
        "CPU and memory measured in each submission's jails. Compare them with the limits you graded with "
        "(--notebook-timeout, --cell-timeout, --exercise-timeout, --memory-mb) to tune them: a limit far above the "
        "honest maximum only gives infinite loops more time."),
    "measure": Msg("Medida", "Measure"),
    "p90": Msg("Percentil 90", "90th percentile"),
    "max": Msg("Máximo", "Maximum"),
    "at_max": Msg("Entrega del máximo", "Submission at the maximum"),
    "no_usage": Msg("No hay medidas de uso (ninguna entrega llegó a ejecutarse).",
                    "No usage figures (no submission was run)."),
    "usage_plot": Msg("CPU y memoria del cuaderno por entrega", "Notebook CPU and memory per submission"),
    "cpu_axis": Msg("CPU del cuaderno (s)", "notebook CPU (s)"),
    "memory_axis": Msg("memoria máxima del cuaderno (MB)", "notebook peak memory (MB)"),
    "similar": Msg("Entregas parecidas", "Similar submissions"),
    "similar_note": Msg(
        "Una marca aquí es un motivo para mirar, no un veredicto. Dos estudiantes pueden llegar al mismo código "
        "de forma honesta (trabajo en grupo permitido, un ejemplo de clase, un ejercicio con una única forma "
        "natural de escribirse). Mira el código, y habla con los estudiantes antes de concluir nada.",
        "A flag here is a reason to look, not a verdict. Two students can reach the same code honestly (allowed "
        "group work, an example from class, an exercise with only one natural way to write it). Read the code, "
        "and talk to the students before concluding anything."),
    "similar_method": Msg(
        "Se compara solo el código de las celdas de ejercicio, sin el esqueleto que trae el cuaderno, después de "
        "normalizar nombres, comentarios, textos y formato, con huellas de winnowing (copydetect, el método de "
        "MOSS). Se ignoran los fragmentos presentes en más de {common} entregas (código que escribe casi todo "
        "el mundo). Se marca un par cuando al menos el {threshold:.0f} % del código propio de uno aparece en el "
        "otro y comparten al menos {shared} caracteres normalizados.",
        "Only the code of the exercise cells is compared, without the skeleton the notebook ships with, after "
        "normalising names, comments, strings and formatting, with winnowing fingerprints (copydetect, the "
        "method of MOSS). Fragments found in more than {common} submissions are ignored (code nearly everyone "
        "writes). A pair is flagged when at least {threshold:.0f} % of one's own code appears in the other and "
        "they share at least {shared} normalised characters."),
    "no_similar": Msg("Ningún par de entregas supera el umbral.", "No pair of submissions is over the threshold."),
    "pair": Msg("{first} y {second} ({assignment}): {first_share:.0f} % del código de {first} está en el de "
                "{second}; {second_share:.0f} % a la inversa",
                "{first} and {second} ({assignment}): {first_share:.0f} % of {first}'s code is in {second}'s; "
                "{second_share:.0f} % the other way"),
    "matching": Msg("Lo marcado coincide (tras normalizar).", "The marked code matches (after normalising)."),
    "no_results": Msg("No hay entregas calificadas.", "No graded submissions."),
}

CSS = """body{font-family:sans-serif;max-width:75em;margin:2em auto;padding:0 1em;color:#1f2328}
table{border-collapse:collapse;margin:.5em 0 1em}td,th{border:1px solid #d0d7de;padding:.3em .5em;text-align:left;
vertical-align:top}th{background:#f6f8fa}td.n{text-align:right}img{max-width:100%}.note{color:#57606a}
h3{margin-top:1.5em}pre{white-space:pre-wrap;font-size:.85em;margin:0}mark{background:#ffd8b5}
.pair td{width:50%}details{margin:.5em 0}summary{cursor:pointer}nav a{margin-right:1em}"""


def export(results: list[SubmissionResult], outdir: Path, lang: str, roster_check: dict | None = None) -> None:
    """``roster_check``: moodle.roster_check's answer when the batch was given a --roster."""
    write_atomically(outdir / FILE, page(results, lang, roster_check))


def page(results: list[SubmissionResult], lang: str, roster_check: dict | None = None) -> str:
    t = texts(lang)
    sections = [("scores", scores(results, lang)), ("exercises", exercises(results, lang)),
                ("incidents", incidents(results, lang)), ("usage", usage(results, lang)),
                ("similar", similar(results, lang))] if results else []
    if any(result.predictions for result in results):
        sections.insert(2, ("predictions", predictions(results, lang)))
    if roster_check is not None:
        sections.insert(0, ("roster", roster(roster_check, lang)))
    nav = " ".join(f"<a href='#{section}'>{esc(t[section])}</a>" for section, _ in sections)
    body = "\n".join(f"<h2 id='{section}'>{esc(t[section])}</h2>\n{content}" for section, content in sections)
    intro = T["intro"].format(submissions=plural(len(results), *SUBMISSIONS),
                              students=plural(len({r.student for r in results}), *STUDENTS),
                              assignments=plural(len({r.assignment for r in results}), *ASSIGNMENTS)
                              ).text(lang) if results else t["no_results"]
    return f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{esc(t['title'])}</title>
<style>{CSS}</style></head><body>
<h1>{esc(t['title'])}</h1>
<p>{esc(intro)}</p>
<nav>{nav}</nav>
{body}
</body></html>
"""


# ---------------------------------------------------------------- helpers

def texts(lang: str) -> dict[str, str]:
    return {name: msg.text(lang) for name, msg in T.items()}


def esc(text) -> str:
    return html.escape(str(text))


def name(text: str) -> str:
    """A student's or an assignment's name as the page shows it: one line, short, escaped."""
    return esc(shown(text))


def percent(part: float, whole: float) -> str:
    return f"{100 * part / whole:.0f} %" if whole else "–"


def number(value: float) -> str:
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def table(header: list[str], rows: list[list[str]], numeric: set[int] = frozenset()) -> str:
    """A table of already-escaped cells; columns in ``numeric`` align right."""
    head = "".join(f"<th>{cell}</th>" for cell in header)
    body = "\n".join("<tr>" + "".join(f"<td class='n'>{cell}</td>" if index in numeric else f"<td>{cell}</td>"
                                      for index, cell in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>\n{body}</table>"


def plot_label(text: str) -> str:
    """A label matplotlib shows as plain text: dollar signs would start mathtext."""
    return shown(text)[:40].replace("$", r"\$")


def image(figure, alt: str) -> str:
    import matplotlib.pyplot as plt
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png", dpi=90)
    plt.close(figure)
    return f"<img alt='{esc(alt)}' src='data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()}'>"


def pyplot():
    import matplotlib  # deferred: slow to import, and only the batch's end needs it
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def by_assignment(results: list[SubmissionResult]) -> dict[str, list[SubmissionResult]]:
    grouped = {}
    for result in sorted(results, key=lambda r: (r.assignment, r.student)):
        grouped.setdefault(result.assignment, []).append(result)
    return grouped


def completed(result: SubmissionResult) -> bool:
    """At least one exercise attempted (the definition the report states)."""
    return any(e.status in ATTEMPTED for e in result.exercises)


def readable_template(text: str) -> str:
    """A message template as one line, with its placeholders shown as "…"."""
    return shown(re.sub(r"\{[^{}]*\}", "…", text))


# ---------------------------------------------------------------- sections

def scores(results: list[SubmissionResult], lang: str) -> str:
    t = texts(lang)
    rows = []
    for assignment, group in by_assignment(results).items():
        values = percentages(group)
        points = [r.score for r in group]
        top = max(r.max_score for r in group)
        rows.append([name(assignment), str(len(group)),
                     f"{statistics.mean(points):.1f} / {top} ({statistics.mean(values):.0f} %)",
                     f"{statistics.median(points):g} / {top} ({statistics.median(values):.0f} %)",
                     percent(sum(completed(r) for r in group), len(group))])
    plt = pyplot()
    figure, ax = plt.subplots(figsize=(8, 3.2))
    grouped = by_assignment(results)
    ax.hist([percentages(group) for group in grouped.values()], bins=range(0, 101, 10), stacked=True,
            edgecolor="black", label=[plot_label(assignment) for assignment in grouped])
    ax.set_xlabel(t["score_axis"])
    ax.set_ylabel(t["count_axis"])
    ax.set_title(t["histogram"])
    ax.legend(fontsize="small")
    return (table([esc(t[name]) for name in ("assignment", "submissions", "mean", "median", "completion")], rows,
                  {1, 2, 3, 4})
            + f"<p class='note'>{esc(t['completion_note'])}</p>\n" + image(figure, t["histogram"]))


def exercise_rows(group: list[SubmissionResult]) -> dict[str, list]:
    """{exercise id: its results in ``group``}, in exercise order."""
    found = {}
    for result in group:
        for exercise in result.exercises:
            found.setdefault(exercise.id, []).append(exercise)
    return {exercise_id: found[exercise_id] for exercise_id in sorted(found, key=exercise_order)}


def failure_reasons(exercises: list, hidden: bool) -> list[tuple[Msg, int, Msg]]:
    """(template, submissions, one example message) of the failures found by public cases (or hidden cases
    only), most common first. Grouped by the template's key, so the same mistake counts once per student."""
    counts, first = Counter(), {}
    for exercise in exercises:
        if exercise.status in FAILED and exercise.hidden == hidden:
            template = exercise.reason_msg
            counts[template.key] += 1
            first.setdefault(template.key, (template, exercise.message))
    return [(first[template_key][0], count, first[template_key][1]) for template_key, count in
            sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


def reasons_table(reasons, total: int, lang: str) -> str:
    t = texts(lang)
    rows = [[esc(readable_template(template.text(lang))), str(count), percent(count, total),
             esc(shown(example.text(lang)))] for template, count, example in reasons[:REASONS_SHOWN]]
    rest = reasons[REASONS_SHOWN:]
    if rest:
        more = T["more_reasons"].format(reasons=plural(len(rest), *REASONS),
                                        submissions=plural(sum(count for _, count, _ in rest), *SUBMISSIONS))
        rows.append([esc(more.text(lang)), "", "", ""])
    return table([esc(t["reason"]), esc(t["count"]), esc(t["share"]), esc(t["example"])], rows, {1, 2})


def exercises(results: list[SubmissionResult], lang: str) -> str:
    t = texts(lang)
    parts, labels, shares = [f"<p class='note'>{esc(t['reasons_note'])}</p>"], [], []
    present = {e.status for r in results for e in r.exercises}
    columns = [status for status in SHARE_COLUMNS if status in present or status in SHARE_COLUMNS[:3]]
    for assignment, group in by_assignment(results).items():
        rows, details = [], []
        for exercise_id, found in exercise_rows(group).items():
            counts = Counter(e.status for e in found)
            title = found[0].title.text(lang)
            rows.append([esc(f"{exercise_id} {title}")] + [percent(counts[status], len(found)) for status in columns])
            labels.append(plot_label(exercise_id))
            shares.append([counts[status] / len(found) for status in columns])
            for hidden in (False, True):
                reasons = failure_reasons(found, hidden)
                if reasons:
                    details.append(f"<h4>{esc(exercise_id)} {esc(title)}: "
                                   f"{esc(t['reasons_hidden' if hidden else 'reasons_public'])}</h4>"
                                   + reasons_table(reasons, len(found), lang))
        header = [esc(t["exercise"])] + [esc(status.label.text(lang)) for status in columns]
        parts.append(f"<h3>{name(assignment)}</h3>" + table(header, rows, set(range(1, len(header))))
                     + "\n".join(details))
    if labels:
        plt = pyplot()
        figure, ax = plt.subplots(figsize=(9, 1.5 + 0.25 * len(labels)))
        left = [0.0] * len(labels)
        positions = range(len(labels))
        for column, status in enumerate(columns):
            widths = [100 * row[column] for row in shares]
            ax.barh(positions, widths, left=left, color=COLORS[status], label=status.label.text(lang))
            left = [a + b for a, b in zip(left, widths)]
        ax.set_yticks(list(positions), labels)
        ax.invert_yaxis()
        ax.set_xlim(0, 100)
        ax.set_xlabel("%")
        ax.set_title(t["shares_plot"])
        ax.legend(fontsize="small", loc="center left", bbox_to_anchor=(1.01, 0.5))
        parts.insert(1, image(figure, t["shares_plot"]))
    return "\n".join(parts)


def predictions(results: list[SubmissionResult], lang: str) -> str:
    """Per predict-then-run question, how the class predicted before seeing the answer (never graded)."""
    t = texts(lang)
    parts = [f"<p class='note'>{esc(t['predictions_note'])}</p>"]
    for question_id, question in QUESTIONS.items():
        made = [r.predictions[question_id] for r in results if question_id in r.predictions]
        if not made:
            continue
        counts = Counter(made)
        top, top_count = counts.most_common(1)[0]
        summary = T["predicted_most"].format(share=percent(top_count, len(made)), choice=question.choices[top],
                                             made=len(made), total=len(results))
        rows = [[esc(f"{letter}) {choice.text(lang)}") + (" ✔" if letter == question.answer else ""),
                 str(counts[letter]), percent(counts[letter], len(made))]
                for letter, choice in question.choices.items()]
        parts.append(f"<h3>{esc(question_id)}: {esc(question.question.text(lang))}</h3><p>{esc(summary.text(lang))}</p>"
                     + table([esc(t["choice"]), esc(t["count"]), "%"], rows, {1, 2}))
    return "\n".join(parts)


def roster(check: dict, lang: str) -> str:
    """Who is missing on either side of the roster: never silently dropped from the grades."""
    t = texts(lang)
    absent = [row["folder"] for row in check["without_submission"]]
    lists = [(t["not_in_roster"], check["not_in_roster"]), (t["without_submission"], absent)]
    items = "".join(f"<li>{esc(title)} ({len(names)}): {', '.join(name(n) for n in names) or esc(t['nobody'])}</li>"
                    for title, names in lists)
    intro = T["roster_intro"].format(identifier=check["identifier"], mapped=len(check["mapped"])).text(lang)
    return f"<p>{esc(intro)}</p><ul>{items}</ul>"


def unicode_twins(results: list[SubmissionResult]) -> list[list[str]]:
    """Groups of different student names that are equal once normalised (NFC "José" and NFD "José")."""
    names = {}
    for result in results:
        names.setdefault(unicodedata.normalize("NFC", result.student), set()).add(result.student)
    return [sorted(group) for _, group in sorted(names.items()) if len(group) > 1]


def twins(results: list[SubmissionResult], lang: str) -> str:
    groups = unicode_twins(results)
    if not groups:
        return ""
    items = "".join("<li>" + " / ".join(f"{name(student)} (<code>{esc(ascii(student)[1:-1])}</code>)"
                                         for student in group) + "</li>" for group in groups)
    return f"<h3>{esc(texts(lang)['twins'])}</h3><p class='note'>{esc(texts(lang)['twins_note'])}</p><ul>{items}</ul>"


def incidents(results: list[SubmissionResult], lang: str) -> str:
    t = texts(lang)
    grouped = {}
    for result in results:
        for note in result.notes:
            grouped.setdefault(note.incident, {}).setdefault(result.key or (result.student, result.assignment),
                                                             (result, note))
    if not grouped:
        return f"<p>{esc(t['no_incidents'])}</p>" + twins(results, lang)
    rows = []
    for incident in sorted(grouped, key=lambda incident: incident.severity):
        affected = sorted(grouped[incident].values(), key=lambda item: (item[0].student, item[0].assignment))
        names = [f"{name(r.student)} ({name(r.assignment)})" for r, _ in affected[:STUDENTS_SHOWN]]
        if len(affected) > STUDENTS_SHOWN:
            names.append(esc(T["more_students"].format(count=len(affected) - STUDENTS_SHOWN).text(lang)))
        examples = list(dict.fromkeys(shown(note.message.text(lang)) for _, note in affected))[:3]
        rows.append([f"<code>{esc(incident.value)}</code><br>{esc(ROW_LABELS[incident].text(lang))}",
                     str(len(affected)), ", ".join(names), "<br>".join(esc(example) for example in examples)])
    header = [esc(t[name]) for name in ("incident", "count", "students", "messages")]
    return table(header, rows, {1}) + twins(results, lang)


def usage(results: list[SubmissionResult], lang: str) -> str:
    t = texts(lang)
    rows = []
    for assignment, group in by_assignment(results).items():
        for measure, label in USAGE:
            measured = [(r.usage[measure], r) for r in group if measure in r.usage]
            if not measured:
                continue
            values = sorted(value for value, _ in measured)
            p90 = statistics.quantiles(values, n=10, method="inclusive")[-1] if len(values) > 1 else values[0]
            top = max(measured, key=lambda item: item[0])
            rows.append([name(assignment), esc(label.text(lang)), str(len(values)), number(statistics.median(values)),
                         number(p90), number(top[0]), name(top[1].student)])
    if not rows:
        return f"<p>{esc(t['no_usage'])}</p>"
    plt = pyplot()
    figure, ax = plt.subplots(figsize=(8, 3.5))
    for assignment, group in by_assignment(results).items():
        points = [(r.usage["kernel_cpu_seconds"], r.usage["kernel_peak_mb"]) for r in group
                  if "kernel_cpu_seconds" in r.usage and "kernel_peak_mb" in r.usage]
        if points:
            ax.scatter(*zip(*points), label=plot_label(assignment), alpha=0.7)
    ax.set_xlabel(t["cpu_axis"])
    ax.set_ylabel(t["memory_axis"])
    ax.set_title(t["usage_plot"])
    ax.legend(fontsize="small")
    header = [esc(t[name]) for name in ("assignment", "measure", "submissions", "median", "p90", "max", "at_max")]
    return (f"<p class='note'>{esc(t['usage_note'])}</p>" + table(header, rows, {2, 3, 4, 5})
            + image(figure, t["usage_plot"]))


def highlighted(code: str, slices) -> str:
    """The code, escaped, with the matching ranges marked."""
    from copydetect.utils import highlight_overlap  # deferred with the rest of copydetect
    if len(slices) == 0 or len(slices[0]) == 0:
        return esc(code)
    return highlight_overlap(code, slices, "<mark>", "</mark>", escape_html=True)[0]


def similar(results: list[SubmissionResult], lang: str) -> str:
    t = texts(lang)
    method = T["similar_method"].format(common=COMMON, threshold=100 * THRESHOLD, shared=MIN_SHARED).text(lang)
    parts = [f"<p><strong>{esc(t['similar_note'])}</strong></p>", f"<p class='note'>{esc(method)}</p>"]
    pairs: list[Pair] = similar_pairs(results)
    if not pairs:
        parts.append(f"<p>{esc(t['no_similar'])}</p>")
    for pair in pairs:
        title = T["pair"].format(first=pair.first.student, second=pair.second.student, assignment=pair.assignment,
                                 first_share=100 * pair.shares[0], second_share=100 * pair.shares[1]).text(lang)
        parts.append(
            f"<details open><summary>{esc(shown(title))}</summary><p class='note'>{esc(t['matching'])}</p>"
            f"<table class='pair'><tr><th>{name(pair.first.student)}</th><th>{name(pair.second.student)}</th></tr>"
            f"<tr><td><pre>{highlighted(pair.code[0], pair.slices[0])}</pre></td>"
            f"<td><pre>{highlighted(pair.code[1], pair.slices[1])}</pre></td></tr></table></details>")
    return "\n".join(parts)
