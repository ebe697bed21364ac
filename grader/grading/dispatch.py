"""The routes a batch's submissions take to the spine (grading.task.grade_one), and the batch's progress.

``InProcess``: one job on this machine (``--jobs 1`` without a scheduler, and Gradescope's run_autograder):
this process calls the spine for one submission after another; no cluster is started. ``Dispatcher``: a Dask
cluster, the one at ``--scheduler`` (or DASK_SCHEDULER_ADDRESS), or a LocalCluster of ``--jobs N``
single-threaded worker processes. A worker that dies is replaced by its nanny and its task retried elsewhere
(Dask's allowed-failures); a task that kills every worker it runs on ends as that submission's grader-error
row. Both yield each submission's result as it comes, the dataclass unchanged; neither writes anything.
Dask is imported only when a cluster is used.
"""
import contextlib
import importlib.util
import logging
import uuid
from collections import deque

from rich.progress import ProgressColumn
from rich.text import Text

from grader.core import Incident, SubmissionResult
from grader.exercises.registry import datasets_for, exercises_for
from grader.grading.discovery import UNSAFE_FILE, Submission
from grader.grading.files import UnsafeFile, read_capped, read_regular_files, readable
from grader.grading.limits import MAX_FOLDER_BYTES, MAX_FOLDER_FILES, MAX_NOTEBOOK_BYTES, Limits
from grader.grading.task import GRADER_FAILED, Work, WorkerUnfit, check_worker, grade_one, grade_task
from grader.i18n import Msg

SCHEDULER_ENV = "DASK_SCHEDULER_ADDRESS"
ALLOWED_FAILURES = 2        # a task whose worker dies is retried on 2 more workers, then it is KilledWorker
MAX_REROUTES = 20           # resubmissions after "this worker cannot grade this": ends even if workers come and go
WORKER_DIED = Msg("el proceso de corrección (worker de Dask) que calificaba esta entrega murió {times} veces, una por "
                  "intento, así que no se calificó; no es una nota: quien imparte el curso debe revisarla",
                  "the worker grading this submission died {times} times, once per attempt, so it was not graded; "
                  "this is not a grade: the instructor must look at it")
NO_WORKER = Msg("ningún proceso de corrección (worker de Dask) del clúster puede calificar esta entrega: {problems}",
                "no worker in the cluster can grade this submission: {problems}")

Graded = tuple[Submission, SubmissionResult, "str | None"]   # a route's yield: whose, the result, the executed notebook


def pack(submission: Submission) -> Work:
    """The bytes the spine needs: the notebook, and the data files of the student's own folder."""
    files = {}
    if submission.folder is not None:
        files, _ = read_regular_files(submission.folder, MAX_FOLDER_BYTES, MAX_FOLDER_FILES)
    return Work(submission.student, submission.assignment, read_capped(submission.path, MAX_NOTEBOOK_BYTES), files,
                list(submission.notes))


def ungraded(submission: Submission, incident: Incident, reason: Msg) -> SubmissionResult:
    result = SubmissionResult.ungraded(submission.student, submission.assignment or readable(submission.path.stem),
                                       str(submission.path), incident, reason,
                                       exercises_for(submission.assignment) if submission.assignment else [])
    result.notes += submission.notes
    return result


class SchedulerUnreachable(RuntimeError):
    pass


class Throughput(ProgressColumn):
    def render(self, task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed * 60:.1f}/min" if speed else "–/min")


class InProcess:
    """One job, here: the spine for each submission in turn. Its grading process, the jails and the judge
    are the same as on a worker; only the cluster is left out."""

    def __init__(self, console, limits_for: dict[str, Limits], isolated: bool, keep_executed: bool, fingerprint: str):
        self.console, self.limits_for = console, limits_for
        self.isolated, self.keep_executed, self.fingerprint = isolated, keep_executed, fingerprint

    def run(self, todo: list[Submission], what: str = "submission(s)"):
        self.console.print(f"grading {len(todo)} {what} in this process, one at a time (--jobs N: a local Dask "
                           f"cluster)", highlight=False, soft_wrap=True)
        for submission in todo:
            yield submission, *self.graded(submission)

    def graded(self, submission: Submission) -> tuple[SubmissionResult, str | None]:
        try:
            check_worker(submission.assignment, self.fingerprint, self.isolated)
            work = pack(submission)
            result, executed = grade_one(work, self.limits_for[submission.assignment], self.isolated,
                                         self.keep_executed)
        except WorkerUnfit as error:
            return ungraded(submission, Incident.GRADER_ERROR, NO_WORKER.format(problems=str(error)[:400])), None
        except (UnsafeFile, OSError) as error:  # changed on disk since discovery
            return ungraded(submission, Incident.UNSAFE_FILE, UNSAFE_FILE.format(error=type(error).__name__)), None
        except Exception as error:  # noqa: BLE001 - a bug of ours with one submission costs that row, never the batch
            return ungraded(submission, Incident.GRADER_ERROR,
                            GRADER_FAILED.format(error=f"{type(error).__name__}: {error}"[:200])), None
        result.path = str(submission.path)
        return result, executed


@contextlib.contextmanager
def open_client(jobs: int, scheduler: str | None):
    """A Dask client: on the cluster at ``scheduler``, or on a LocalCluster of ``jobs`` single-threaded
    worker processes (memory is limited per jail, not per worker). Dask's own logging is kept to errors (a local
    worker's to critical ones: "Compute Failed" for a worker that says it cannot grade is not news)."""
    import dask
    import distributed
    logging.getLogger("distributed").setLevel(logging.ERROR)
    if scheduler:
        try:
            client = distributed.Client(scheduler, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as error:
            raise SchedulerUnreachable(f"cannot reach the Dask scheduler at {scheduler} ({type(error).__name__}: "
                                       f"{str(error).splitlines()[0][:200] if str(error) else ''}); start it with "
                                       f"`dask scheduler`, or leave out --scheduler and {SCHEDULER_ENV} to grade "
                                       f"on this machine") from error
        with client:
            yield client
        return
    with dask.config.set({"distributed.scheduler.allowed-failures": ALLOWED_FAILURES}), \
            distributed.LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, memory_limit=0,
                                     host="127.0.0.1", dashboard_address="127.0.0.1:0",
                                     silence_logs=logging.CRITICAL) as cluster, \
            distributed.Client(cluster, set_as_default=False) as client:
        yield client


class Routes:
    """The batch's route, chosen once and opened on first use: in this process for one local job, else a Dask
    client. A batch whose controls are all cached and that has nothing left to grade starts nothing."""

    def __init__(self, stack: contextlib.ExitStack, jobs: int, scheduler: str | None):
        self.stack, self.jobs, self.scheduler, self.client = stack, jobs, scheduler, None

    def dispatcher(self, console, limits_for: dict[str, Limits], isolated: bool, keep_executed: bool,
                   fingerprint: str):
        if self.jobs == 1 and not self.scheduler:
            return InProcess(console, limits_for, isolated, keep_executed, fingerprint)
        if self.client is None:
            self.client = self.stack.enter_context(open_client(self.jobs, self.scheduler))
        return Dispatcher(self.client, console, limits_for, isolated, keep_executed, fingerprint)


class Dispatcher:
    """Keeps a few tasks per worker thread in flight (the client reads each notebook just before sending it),
    and yields each finished task's result."""

    def __init__(self, client, console, limits_for: dict[str, Limits], isolated, keep_executed, fingerprint):
        import distributed
        self.client, self.console = client, console
        self.limits_for = limits_for              # assignment → its limits
        self.arguments = (isolated, keep_executed, fingerprint)
        self.unfit: dict[str, set[str]] = {}      # worker address → what it lacks
        self.reroutes: dict[str, int] = {}
        self.running: dict = {}                   # future → its submission
        self.finished = distributed.as_completed(loop=client.loop)
        self.problems: dict[str, str] = {}        # worker address → why it cannot grade, as said on the terminal
        self.parked: list[Submission] = []        # bounced off a worker known unfit: resent when a task ends
        self.done: deque = deque()                # settled, not yielded yet

    def workers_for(self, submission: Submission) -> list[str] | None:
        """The workers to send ``submission`` to: None for any, [] for none."""
        needs = set(datasets_for(submission.assignment)) | {"grader"} | ({"jail"} if self.arguments[0] else set())
        avoid = {address for address, missing in self.unfit.items() if missing & needs}
        return [address for address in self.client.nthreads() if address not in avoid] if avoid else None

    def submit(self, submission: Submission) -> None:
        workers = self.workers_for(submission)
        if workers == []:
            problems = "; ".join(sorted({problem for problem in self.problems.values()}))
            self.done.append((submission, ungraded(submission, Incident.GRADER_ERROR,
                                                   NO_WORKER.format(problems=problems[:400])), None))
            return
        try:
            work = pack(submission)
        except (UnsafeFile, OSError) as error:  # changed on disk since discovery
            self.done.append((submission, ungraded(submission, Incident.UNSAFE_FILE,
                                                   UNSAFE_FILE.format(error=type(error).__name__)), None))
            return
        # the key names the submission on the dashboard; loose restrictions: if none of those workers is left,
        # any worker may take it (and say again whether it can)
        future = self.client.submit(grade_task, work, self.limits_for[submission.assignment], *self.arguments,
                                    pure=False, key=f"grade-{submission.key}-{uuid.uuid4().hex[:8]}",
                                    workers=workers, allow_other_workers=workers is not None)
        self.running[future] = submission
        self.finished.add(future)

    def run(self, todo: list[Submission], what: str = "submission(s)"):
        waiting = deque(todo)
        threads = sum(self.client.nthreads().values()) or 1
        # a local cluster's dashboard pages need bokeh; a remote scheduler may run without a dashboard
        served = "dashboard" in self.client.scheduler_info().get("services", {})
        link = (self.client.dashboard_link if served and (self.client.cluster is None or importlib.util.find_spec("bokeh"))
                else "none (its pages need pip install 'bokeh>=3.1')")
        self.console.print(f"grading {len(todo)} {what} on {len(self.client.nthreads())} Dask worker(s) "
                           f"(scheduler {self.client.scheduler.address}); Dask dashboard: {link}", highlight=False,
                           soft_wrap=True)
        while waiting and len(self.running) < 2 * threads:
            self.submit(waiting.popleft())
        yield from self.settled()
        for future in self.finished:
            submission = self.running.pop(future)
            parked = len(self.parked)
            self.collect(future, submission, waiting)
            if len(self.parked) == parked:   # a task ended for real: a worker that can may be free now
                waiting.extendleft(reversed(self.parked))
                self.parked.clear()
            threads = sum(self.client.nthreads().values()) or 1
            while waiting and len(self.running) < 2 * threads:
                self.submit(waiting.popleft())
            while not self.running and (waiting or self.parked):   # everything left was settled without a task
                waiting.extendleft(reversed(self.parked))
                self.parked.clear()
                self.submit(waiting.popleft())
            yield from self.settled()

    def settled(self):
        while self.done:
            yield self.done.popleft()

    def collect(self, future, submission: Submission, waiting: deque) -> None:
        import distributed
        if future.status == "finished":
            result, executed = future.result()
            result.path = str(submission.path)   # the client's name for it: the worker only had bytes
            self.done.append((submission, result, executed))
            return
        error = future.exception() if future.status == "error" else RuntimeError("the scheduler cancelled the task")
        if isinstance(error, WorkerUnfit):
            if set(error.missing) <= self.unfit.get(error.address, set()) and self.running:
                # Dask's work stealing moved it to an idle worker already known unfit (its restriction is loose,
                # so that it never waits for workers that left): wait for another task to end, then resend it
                self.parked.append(submission)
                return
            if error.address not in self.problems:   # once per worker
                self.console.print(f"[bold]warning:[/bold] {error}. Its submissions go to other workers.",
                                   highlight=False, soft_wrap=True)
            self.problems[error.address] = str(error)
            self.unfit.setdefault(error.address, set()).update(error.missing)
            self.reroutes[submission.key] = self.reroutes.get(submission.key, 0) + 1
            if self.reroutes[submission.key] <= MAX_REROUTES:
                waiting.appendleft(submission)
                return
            result = ungraded(submission, Incident.GRADER_ERROR, NO_WORKER.format(problems=str(error)[:400]))
        elif isinstance(error, distributed.KilledWorker):
            result = ungraded(submission, Incident.GRADER_ERROR, WORKER_DIED.format(times=error.allowed_failures + 1))
        else:  # a bug of ours with one submission costs that row, never the batch
            result = ungraded(submission, Incident.GRADER_ERROR,
                              GRADER_FAILED.format(error=f"{type(error).__name__}: {error}"[:200]))
        self.done.append((submission, result, None))
