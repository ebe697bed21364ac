"""Student grades never reach git by accident: grading/ is ignored, and grade marks any OUTDIR as ignored."""
import subprocess
import sys

from helpers import ROOT


def test_grading_folder_is_ignored_by_the_repository():
    result = subprocess.run(["git", "check-ignore", "-q", "grading/gradebook.csv"], cwd=ROOT)
    assert result.returncode == 0, "grading/ must be in .gitignore"


def test_grade_marks_its_outdir_as_ignored(tmp_path):
    repository = tmp_path / "repo"
    (repository / "entregas").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(repository)], check=True)
    result = subprocess.run([sys.executable, "-m", "grader", "grade", "entregas", "--out", "notas", "--isolation",
                             "none", "--lang", "en"], capture_output=True, text=True, cwd=repository)
    assert result.returncode == 0, result.stderr
    assert "No submissions graded." in result.stderr   # the terminal summary follows --lang
    (repository / "notas" / "gradebook.csv").write_text("student\n")
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], capture_output=True,
                            text=True, cwd=repository)
    assert status.stdout == "", f"OUTDIR shows up in git: {status.stdout}"
