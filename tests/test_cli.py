"""The command line: usage errors are clear and exit 2, before anything is graded."""
import os
import subprocess
import sys

import pytest

from grader import reports
from grader import cli
from grader.cli import parser
from helpers import ROOT


@pytest.mark.parametrize("args, message", [
    (["does/not/exist", "--out", "x"], "no such file or folder"),
    (["notebooks", "--out", "x", "--jobs", "0"], "--jobs must be at least 1"),
    (["notebooks", "--out", "x", "--format", "excel"], "unknown --format excel"),
    (["notebooks"], "--out"),
])
def test_usage_errors_exit_non_zero(args, message, capsys):
    assert cli.main(["grade", *args]) == 2   # in-process: main returns the status, it never exits
    assert message in capsys.readouterr().err


def test_format_choices_come_from_the_exporter_registry():
    help_text = parser().format_help() + parser()._subparsers._group_actions[0].choices["grade"].format_help()
    assert all(name in help_text for name in reports.OPTIONAL)
    assert set(reports.OPTIONAL) == {"gradescope", "moodle"}


def test_grading_refuses_to_start_without_the_jail_unless_told(tmp_path):
    env = {**os.environ, "PATH": "/nonexistent"}
    result = subprocess.run([sys.executable, "-m", "grader", "grade", str(ROOT / "notebooks"), "--out",
                             str(tmp_path / "out")], capture_output=True, text=True, cwd=ROOT, env=env)
    assert result.returncode == 2 and "apt-get install bubblewrap" in result.stderr and "--isolation none" in result.stderr
    assert not (tmp_path / "out" / "gradebook.csv").exists()
