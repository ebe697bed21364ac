"""The batch summary: a few lines for the terminal and summary.png, in the feedback language."""
import statistics
from pathlib import Path

from grader.core import SubmissionResult
from grader.i18n import SUBMISSIONS, Msg, plural

NONE = Msg("No se calificó ninguna entrega.", "No submissions graded.")
HEADLINE = Msg("{submissions}: media {mean:.1f} %, mediana {median:.1f} %",
               "{submissions}: mean {mean:.1f} %, median {median:.1f} %")
STATUSES = Msg("  estado: {counts}", "  status: {counts}")
AXES = {"x": Msg("puntuación (%)", "score (%)"), "y": Msg("entregas", "submissions"),
        "title": Msg("{submissions}, mediana {median:.0f} %", "{submissions}, median {median:.0f} %")}


def percentages(results: list[SubmissionResult]) -> list[float]:
    return [100 * r.score / r.max_score if r.max_score else 0.0 for r in results]


def text(results: list[SubmissionResult], lang: str) -> str:
    if not results:
        return NONE.text(lang)
    values = percentages(results)
    bins = [0] * 10
    for value in values:
        bins[min(int(value // 10), 9)] += 1
    lines = [HEADLINE.format(submissions=plural(len(results), *SUBMISSIONS), mean=statistics.mean(values),
                             median=statistics.median(values)).text(lang)]
    lines += [f"  {10 * i:3d}-{10 * i + 10:3d} % | {'#' * count} {count}" for i, count in enumerate(bins)]
    statuses = {}
    for r in results:
        statuses[r.status] = statuses.get(r.status, 0) + 1
    lines.append(STATUSES.format(counts=", ".join(f"{name} {count}" for name, count in sorted(statuses.items())))
                 .text(lang))
    return "\n".join(lines)


def figure(results: list[SubmissionResult], lang: str):
    """The histogram of scores, labelled in ``lang``."""
    import matplotlib  # deferred: slow to import, and only the batch's end needs it
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    values = percentages(results)
    drawing, ax = plt.subplots(figsize=(6, 3.5))
    ax.hist(values, bins=range(0, 101, 10), edgecolor="black")
    ax.set_xlabel(AXES["x"].text(lang))
    ax.set_ylabel(AXES["y"].text(lang))
    ax.set_title(AXES["title"].format(submissions=plural(len(results), *SUBMISSIONS), median=statistics.median(values)).text(lang))
    drawing.tight_layout()
    return drawing


def export(results: list[SubmissionResult], outdir: Path, lang: str) -> None:
    """summary.png: the histogram of scores."""
    if not results:
        return
    import matplotlib.pyplot as plt  # deferred (figure() has imported it already)

    drawn = figure(results, lang)
    outdir.mkdir(parents=True, exist_ok=True)
    drawn.savefig(outdir / "summary.png")
    plt.close(drawn)
