"""The command line: usage errors are clear and exit 2, before anything is graded."""
import pytest

from grader import reports
from grader.cli import parser
from helpers import grade


@pytest.mark.parametrize("args, message", [
    (["does/not/exist", "--out", "x"], "no such file or folder"),
    (["notebooks", "--out", "x", "--jobs", "0"], "--jobs must be at least 1"),
    (["notebooks", "--out", "x", "--format", "excel"], "unknown --format excel"),
    (["notebooks"], "--out"),
])
def test_usage_errors_exit_non_zero(args, message):
    result = grade(*args, check=False)
    assert result.returncode == 2 and message in result.stderr


def test_format_choices_come_from_the_exporter_registry():
    help_text = parser().format_help() + parser()._subparsers._group_actions[0].choices["grade"].format_help()
    assert all(name in help_text for name in reports.OPTIONAL)
    assert set(reports.OPTIONAL) == {"gradescope", "moodle"}
