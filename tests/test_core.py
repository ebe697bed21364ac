"""grader.i18n and grader.core: messages in two languages, statuses, and results as JSON."""
from grader.core import (GRADED, Case, ExerciseResult, Incident, Note, Status, SubmissionResult, Verdict)
from grader.i18n import Msg


class FakeExercise:
    id, title, points = "1.1", Msg("Escalón", "Step"), 2


def test_msg_format_resolves_msg_arguments_per_language():
    where = Msg(" (oculta)", " (hidden)")
    message = Msg("falla{where}: {n}", "fails{where}: {n}").format(where=where, n=3)
    assert (message.es, message.en) == ("falla (oculta): 3", "fails (hidden): 3")
    assert Msg.same("{a}").format(a=Msg("x", "y")) == Msg("x", "y")


def test_msg_picks_the_language_from_the_environment(monkeypatch):
    monkeypatch.setenv("GRADER_LANG", "en")
    assert str(Msg("hola", "hello")) == "hello"
    monkeypatch.setenv("GRADER_LANG", "fr")
    assert str(Msg("hola", "hello")) == "hola"


def test_a_result_earns_points_only_when_correct():
    assert ExerciseResult.of(FakeExercise, Verdict(Status.CORRECT, Msg.same("ok"))).points == 2
    assert ExerciseResult.of(FakeExercise, Verdict(Status.TIMEOUT, Msg.same("slow"))).points == 0


def test_row_status_is_the_most_serious_incident():
    result = SubmissionResult("ana", "a", "p", [Note(Incident.SYNTAX_ERROR, Msg.same("s")),
                                                Note(Incident.KERNEL_DIED, Msg.same("k")),
                                                Note(Incident.TIMEOUT, Msg.same("t"))])
    assert result.status == "kernel-died"
    assert SubmissionResult("ana", "a", "p").status == GRADED
    assert [incident.severity for incident in Incident] == sorted(incident.severity for incident in Incident)


def test_results_round_trip_through_json():
    result = SubmissionResult("ana", "a", "x.ipynb", [Note(Incident.TIMEOUT, Msg("lento", "slow"))],
                              [ExerciseResult.of(FakeExercise, Verdict(Status.WRONG, Msg("mal", "wrong")))],
                              hash="h", key="ana__a", predictions={"1.11": "b"})
    data = result.to_json()
    assert list(data) == ["student", "assignment", "path", "status", "notes", "exercises", "hash", "key", "usage",
                          "predictions"]
    assert data["exercises"][0] == {"id": "1.1", "title_es": "Escalón", "title_en": "Step", "max_points": 2,
                                    "points": 0, "status": "wrong", "es": "mal", "en": "wrong", "reason": "",
                                    "hidden": False, "reason_en": ""}
    assert SubmissionResult.from_json(data) == result


def test_an_ungraded_submission_scores_zero_everywhere():
    result = SubmissionResult.ungraded("ana", "a", "p", Incident.INVALID_NOTEBOOK, Msg("roto", "broken"),
                                       [FakeExercise])
    assert result.status == "invalid-notebook" and result.score == 0 and result.max_score == 2
    assert result.exercises[0].status == Status.NOT_GRADED and result.exercises[0].message.en == "broken"


def test_hidden_cases_never_describe_their_inputs():
    assert Case("f", (1, 2), hidden=True).describe() == "f(…)"
    assert Case("f", (1, 2)).describe() == "f(1, 2)"


def test_a_formatted_message_remembers_its_template_so_reports_can_group_mistakes():
    template = Msg("se esperaba {x}", "expected {x}")
    first, second = template.format(x=1), template.format(x=2)
    assert first != second and first.key == second.key == "se esperaba {x}"
    wrapped = Msg.same("{call}: {mistake}").format(call="f(1)", mistake=first)
    assert wrapped.key == "{call}: {mistake}" and Msg("a", "b").key == "a"
    assert first.key_en == "expected {x}" and wrapped.key_en == "{call}: {mistake}" and Msg("a", "b").key_en == "b"
