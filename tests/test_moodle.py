"""Moodle's CSV grade import, as Moodle applies it: the roster maps submission folders to Moodle users, and
moodle_grades.csv passes the import's rules (no grading needed: results are built here)."""
import csv
import json

import pytest

from grader.reports import moodle
from helpers import run_cli
from test_reports import result

RESULTS = [result("Ana_Perez", (1, 2)), result("ana_perez", (1, 0), assignment="02_b"), result("ben", (0, 2)),
           result("solutions", (1, 2)), result("notebooks", (0, 0))]


def roster_file(tmp_path, text, encoding="utf-8", name="roster.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def assert_moodle_accepts(text: str, roster: moodle.Roster, assignments: list[str], maximum: float):
    """The rules of Moodle's "Import grades from CSV": a header row; one column Moodle can match users by;
    one column per grade item; every value numeric (or empty: left unchanged) and within the item's range;
    every user known (a single unknown user stops the import); no user twice."""
    rows = list(csv.reader(text.splitlines()))
    header, body = rows[0], rows[1:]
    assert header[0] == roster.identifier in moodle.IDENTIFIERS
    assert header[1:] == assignments and len(set(header)) == len(header)
    known = [identifier for _, identifier in roster.rows.values()]
    assert all(row[0] in known for row in body), "an unknown user stops Moodle's import"
    assert len({row[0] for row in body}) == len(body)
    for row in body:
        assert len(row) == len(header)
        for value in row[1:]:
            assert value == "" or 0 <= float(value) <= maximum, row


def test_roster_maps_folders_and_moodle_accepts_the_csv(tmp_path):
    roster = moodle.read_roster(roster_file(tmp_path, "folder,username,fullname\nana_perez,Ana.Perez,Ana\n"
                                                      "ben,ben,Ben\ncarla,carla,Carla\n"))
    assert roster.identifier == "username"
    text = moodle.moodle_csv(RESULTS, roster, maximum=10)
    assert_moodle_accepts(text, roster, ["01_a", "02_b"], 10)
    assert text.splitlines() == ["username,01_a,02_b", "ana.perez,10.0,3.33", "ben,6.67,"]
    assert moodle.moodle_csv(RESULTS, roster).splitlines()[1] == "ana.perez,3,1"   # raw points without a maximum

    check = moodle.roster_check(RESULTS, roster)
    assert check["not_in_roster"] == ["notebooks", "solutions"]
    assert check["without_submission"] == [{"folder": "carla", "username": "carla"}]
    report = moodle.roster_report(check, "es")
    assert "notebooks, solutions" in report and "carla" in report
    assert "with no submission: carla" in moodle.roster_report(check, "en")


@pytest.mark.parametrize("column", ["email", "idnumber"])
def test_the_identifier_column_is_the_rosters_own(tmp_path, column):
    value = "ben@uni.example" if column == "email" else "A-0042"
    roster = moodle.read_roster(roster_file(tmp_path, f"{column},folder\n{value},ben\n"))
    text = moodle.moodle_csv(RESULTS, roster)
    assert text.splitlines() == [f"{column},01_a", f"{value},2"]
    assert_moodle_accepts(text, roster, ["01_a"], 3)


def test_excel_rosters_semicolons_bom_and_ansi(tmp_path):
    bom = moodle.read_roster(roster_file(tmp_path, "\ufefffolder;idnumber\r\nbén;7\r\nben2;8\r\n"))
    assert bom.identifier == "idnumber" and bom.lookup("BÉN") == "7"
    ansi = moodle.read_roster(roster_file(tmp_path, "folder;username\r\nnúñez;nunez\r\n", "cp1252", "ansi.csv"))
    assert ansi.lookup("núñez") == "nunez"


@pytest.mark.parametrize("text, problem", [
    ("folder,username\nana,=HYPERLINK(\"http://x\",\"y\")\n", "line 2"),       # a formula in a cell
    ("folder,username\n@SUM(1),ana\n", "formula"),
    ("folder,username\nana,ana\nAna,ana2\n", "already on line 2"),             # one folder twice
    ("folder,username\nana,ana\nben,ana\n", "appears twice"),                  # one user twice
    ("folder,username,email\nana,ana,a@x\n", "exactly one of"),                # which column to match on?
    ("name,username\nana,ana\n", "'folder' column"),
    ("folder,username\nana,\n", "empty"),
])
def test_hostile_rosters_are_refused_with_the_line(tmp_path, text, problem):
    with pytest.raises(moodle.RosterError, match=problem):
        moodle.read_roster(roster_file(tmp_path, text))


def test_cli_refuses_a_bad_roster_before_grading(tmp_path):
    roster = roster_file(tmp_path, "folder;username\nana;+1\n")
    result = run_cli("grade", tmp_path, "--out", tmp_path / "out", "--roster", roster, "--isolation", "none")
    assert result.returncode == 2 and "line 2" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_export_writes_the_roster_check_for_the_class_report(tmp_path):
    roster = moodle.read_roster(roster_file(tmp_path, "folder,username\nben,ben\ncarla,carla\n"))
    moodle.export(RESULTS, tmp_path, "es", roster=roster, maximum=20)
    check = json.loads((tmp_path / "roster_check.json").read_text(encoding="utf-8"))
    assert check["not_in_roster"] == ["Ana_Perez", "ana_perez", "notebooks", "solutions"]
    assert check["mapped"] == ["ben"] and check["without_submission"][0]["folder"] == "carla"
    assert (tmp_path / "moodle_grades.csv").read_text().splitlines() == ["username,01_a", "ben,13.33"]


def test_grade_with_a_roster_end_to_end(tmp_path):
    """The instructor's command, on files the grader refuses before running anything (so no kernel starts):
    each still gets its row, and only the mapped student reaches moodle_grades.csv."""
    for folder in ("Ana_Perez", "intruso"):
        (tmp_path / "entregas" / folder).mkdir(parents=True)
        (tmp_path / "entregas" / folder / "01_perceptron_or_xor.ipynb").write_text("not a notebook")
    roster = roster_file(tmp_path, "\ufefffolder;username\r\nana_perez;Ana.Perez\r\ncarla;carla\r\n")
    out = tmp_path / "out"
    completed = run_cli("grade", tmp_path / "entregas", "--out", out, "--roster", roster, "--moodle-max", "10",
                        "--lang", "en")
    assert completed.returncode == 0, completed.stderr
    text = (out / "moodle_grades.csv").read_text(encoding="utf-8")
    assert text.splitlines() == ["username,01_perceptron_or_xor", "ana.perez,0.0"]
    assert_moodle_accepts(text, moodle.read_roster(roster), ["01_perceptron_or_xor"], 10)
    assert "Not in the roster (left out of moodle_grades.csv): intruso" in completed.stderr
    assert "In the roster but with no submission: carla" in completed.stderr
    check = json.loads((out / "roster_check.json").read_text(encoding="utf-8"))
    assert check["mapped"] == ["Ana_Perez"] and check["not_in_roster"] == ["intruso"]
    # the class report lists both sides too, escaped like every other student-shaped name
    report = (out / "class_report.html").read_text(encoding="utf-8")
    assert "Submitted but not in the roster: left out of moodle_grades.csv (1): intruso" in report
    assert "In the roster but with no submission (1): carla" in report
