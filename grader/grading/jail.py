"""The jail around everything that runs student code: bubblewrap namespaces plus limits on the whole tree.

Inside: an unprivileged uid in its own user, PID, network, IPC, UTS and mount namespaces, with no
capabilities; the system, the Python installation and the venv read-only; the work folder read-write
at /home/student; a private, size-capped /tmp; nothing else of the host (no instructor project, no
OUTDIR, no other submission, no home). Every process dies with the jail.

Limits hold for the whole jailed tree, not per process: CPU time, memory, process count and disk.
Where the caller may create cgroups (root), a per-jail cgroup (v1 memory, pids and cpuacct) enforces
them in the kernel; elsewhere rlimits set before exec plus a supervisor that polls the tree with
psutil. A wall-clock backstop (wall_factor × the CPU limit) catches code that sleeps or blocks. Output
goes to files, never pipes, so a process holding a copy cannot stall the grader.
"""
import ast
import contextlib
import ctypes
import functools
import json
import os
import pwd
import resource
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path
from typing import Callable

import psutil

from grader.boundary import PACKAGE_NAME
from grader.grading.files import walk

HOME = "/home/student"            # where the work folder appears inside
JAIL_UID = 1000
CGROUPS = Path("/sys/fs/cgroup")
CONTROLLERS = ("memory", "pids", "cpuacct")
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
SYSTEM_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "nsswitch.conf", "fonts", "mime.types")
INSTALL_HINT = ("install bubblewrap: `sudo apt-get install bubblewrap` (Debian/Ubuntu), "
                "`sudo dnf install bubblewrap` (Fedora), `sudo pacman -S bubblewrap` (Arch)")
PR_SET_PDEATHSIG = 1
RUN_AS_ENV = "GRADER_RUN_AS"      # without the jail: the unprivileged user that runs student code
_names = count()


@dataclass(frozen=True)
class JailLimits:
    cpu_seconds: float
    memory_mb: int
    processes: int = 128
    file_mb: int = 512          # the largest file one process may write
    disk_mb: int = 1024         # the work folder, and the private /tmp
    wall_factor: float = 3.0    # wall-clock backstop, as a multiple of the CPU limit
    wall_seconds: float | None = None   # the wall-clock backstop itself, when the caller sets it


@dataclass
class JailRun:
    returncode: int
    limit: str                  # "" or the limit that stopped the jail: cpu, wall, memory, processes, disk, or watch's
    cpu_seconds: float
    peak_memory_mb: float


def unavailable() -> str | None:
    """Why a jail cannot run here (in words that say what to do), or None. It tries the real thing: this
    Python, in the same jail that grading uses, must start and import numpy."""
    if shutil.which("bwrap") is None:
        return f"bubblewrap (bwrap) is not installed: {INSTALL_HINT}"
    probe = subprocess.run(["bwrap", "--unshare-user", "--unshare-pid", "--unshare-net", "--ro-bind", "/", "/",
                            "--", "/bin/true"], capture_output=True, text=True)
    if probe.returncode:
        return (f"bubblewrap cannot create namespaces here ({probe.stderr.strip()[:200]}); "
                "enable unprivileged user namespaces, or run on Linux")
    with tempfile.TemporaryDirectory(prefix="grader-probe-") as folder:
        (Path(folder) / "work").mkdir()
        log = Path(folder) / "log"
        jailed = run([sys.executable, "-c", "import numpy"], Path(folder) / "work",
                     JailLimits(cpu_seconds=60, memory_mb=4096, wall_factor=2), log=log)
        if jailed.returncode == 0 and not jailed.limit:
            return None
        lines = log.read_text(errors="replace").strip().splitlines()
    detail = (lines[-1] if lines else f"exit code {jailed.returncode} {jailed.limit}").strip()[:200]
    return (f"{sys.executable} cannot import numpy inside the jail ({detail}): the jail shows only the system "
            f"folders and {', '.join(path for _, path in python_folders()) or 'none of its folders'}; install "
            "Python and its packages on a local disk the jail can bind (a venv anywhere, /tmp included, works)")


@functools.cache
def python_folders() -> tuple[tuple[str, str], ...]:
    """Every folder the jailed Python reads, as (real path, path it is known by): its installation, the venv,
    and its own sys.path (what site and the .pth files add), without PYTHONPATH or the current folder. A folder
    other than a site folder that holds a copy of the grader package (an editable install's project) is left
    out: the project must never be visible."""
    probe = subprocess.run([sys.executable, "-I", "-c", "import json, sys; print(json.dumps(sys.path))"],
                           capture_output=True, text=True, timeout=120)
    paths = json.loads(probe.stdout) if probe.returncode == 0 else []
    folders = {}
    for path in [sys.prefix, sys.base_prefix, *paths]:
        real = os.path.realpath(path)
        if os.path.isdir(real) and (real in _site_packages() or not os.path.isdir(os.path.join(real, PACKAGE_NAME))):
            folders[os.path.abspath(path)] = real   # a venv reached through a link is run by that name
            folders[real] = real

    def inside_another(path):
        return any(path != other and path.startswith(other.rstrip("/") + "/") for other in folders)
    return tuple(sorted((real, path) for path, real in folders.items() if not inside_another(path)))


@functools.cache
def _site_packages() -> frozenset[str]:
    """Where pip installs packages for a Python of this system: this Python's site folders, its base
    installation's, and the distribution's (pip install --user, sudo pip install)."""
    import site
    import sysconfig
    folders = {*site.getsitepackages(), site.getusersitepackages()}
    for base in {sys.prefix, sys.base_prefix}:
        paths = sysconfig.get_paths(vars={"base": base, "platbase": base, "installed_base": base})
        folders |= {paths["purelib"], paths["platlib"]}
    folders |= {str(path) for pattern in ("/usr/lib/python3*/*-packages", "/usr/local/lib/python3*/*-packages",
                                          "/usr/lib/python3/dist-packages")
                for path in Path("/").glob(pattern.lstrip("/"))}
    return frozenset(os.path.realpath(folder) for folder in folders if folder and os.path.isdir(folder))


@functools.cache
def installed_copies() -> tuple[str, ...]:
    """Every copy of the grader package this Python can reach, however it was installed: a folder named like
    the package in a site folder (a wheel, pip install --target, the source on the path), in a folder a .pth
    file adds (an old-style editable install), or where an editable install's finder maps it."""
    folders = set(_site_packages()) | {os.path.realpath(path) for path in sys.path if path and os.path.isdir(path)}
    copies = set()
    for site_folder in list(folders):
        for pth in Path(site_folder).glob("*.pth"):
            with contextlib.suppress(OSError, UnicodeDecodeError):
                for line in pth.read_text().splitlines():
                    if line.strip() and not line.startswith(("#", "import")) and os.path.isdir(line.strip()):
                        folders.add(os.path.realpath(line.strip()))
        for finder in Path(site_folder).glob("__editable__*finder.py"):
            with contextlib.suppress(OSError, SyntaxError, ValueError):
                for node in ast.walk(ast.parse(finder.read_text())):
                    if isinstance(node, (ast.Assign, ast.AnnAssign)) and "MAPPING" in ast.unparse(node)[:20]:
                        copies.update(os.path.realpath(path) for name, path in ast.literal_eval(node.value).items()
                                      if name == PACKAGE_NAME)
    copies |= {os.path.realpath(os.path.join(folder, PACKAGE_NAME)) for folder in folders
               if os.path.isdir(os.path.join(folder, PACKAGE_NAME))}
    copies.add(str(Path(__file__).resolve().parents[1]))   # the copy running now
    return tuple(sorted(copy for copy in copies if os.path.isdir(copy)))


def _data_fd(text: str) -> int:
    read, write = os.pipe()   # small texts only: they must fit in the pipe's buffer
    os.write(write, text.encode())
    os.close(write)
    return read


def bwrap_command(workdir: Path, binds, env: dict, limits: JailLimits, fds: list[int]) -> list[str]:
    """bwrap and its options; the descriptors it reads are appended to ``fds``. Mounts go parents first:
    the private /tmp, then the system and the Python's folders (a venv under /tmp shows through), then the
    caller's binds, and last the masks over every installed copy of the package they would show."""
    fds += [_data_fd(f"student:x:{JAIL_UID}:{JAIL_UID}::{HOME}:/bin/false\n"),
            _data_fd(f"student:x:{JAIL_UID}:\n")]
    command = ["bwrap", "--unshare-user", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
               "--unshare-cgroup-try", "--hostname", "jail", "--uid", str(JAIL_UID), "--gid", str(JAIL_UID),
               "--disable-userns", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
               "--perms", "1777", "--size", str(limits.disk_mb << 20), "--tmpfs", "/tmp"]
    mounted = []   # (host folder, where it shows inside)
    for folder in SYSTEM_DIRS:
        if os.path.islink(folder):
            command += ["--symlink", os.readlink(folder), folder]
        elif os.path.isdir(folder):
            command += ["--ro-bind", folder, folder]
            mounted.append((folder, folder))
    command += [arg for name in SYSTEM_FILES if os.path.exists(f"/etc/{name}")
                for arg in ("--ro-bind", f"/etc/{name}", f"/etc/{name}")]
    for real, folder in sorted(python_folders(), key=lambda pair: pair[1]):   # Python, the venv, its site folders
        if not any(folder == seen or folder.startswith(seen + "/") for _, seen in mounted):
            command += ["--ro-bind", real, folder]
            mounted.append((real, folder))
    command += ["--ro-bind-data", str(fds[-2]), "/etc/passwd", "--ro-bind-data", str(fds[-1]), "/etc/group",
                "--proc", "/proc", "--remount-ro", "/proc", "--dev", "/dev",
                "--bind", str(workdir), HOME, "--chdir", HOME]
    for source, target in binds:
        command += ["--ro-bind", str(source), str(target)]
    # grader.boundary: no instructor-only module importable or readable, whatever the install
    for copy in installed_copies():
        for real, inside in mounted:
            if copy == real or copy.startswith(real.rstrip("/") + "/"):
                target = inside + copy[len(real):]
                command += ["--perms", "0000", "--tmpfs", target, "--remount-ro", target]
    command.append("--clearenv")
    for key, value in {**_base_env("/tmp", "/tmp"), **env}.items():
        command += ["--setenv", key, str(value)]
    return command


def _base_env(home: str, temporary: str) -> dict:
    return {"PATH": f"{sys.prefix}/bin:/usr/bin:/bin", "HOME": home, "TMPDIR": temporary,
            "LANG": "C.UTF-8", "USER": "student", "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1"}


# ---------------------------------------------------------------- cgroups (when the caller may create them)

def _own_cgroups() -> dict[str, Path]:
    """The cgroup folder this process belongs to, per controller: jails get theirs below it."""
    own = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        own.update((controller, CGROUPS / controller / path.lstrip("/")) for controller in controllers.split(","))
    return {controller: own.get(controller, CGROUPS / controller) for controller in CONTROLLERS}


def _cgroups(limits: JailLimits) -> dict[str, Path] | None:
    name, groups = f"grader-jail-{os.getpid()}-{next(_names)}", {}
    try:
        for controller, parent in _own_cgroups().items():
            groups[controller] = parent / name
            groups[controller].mkdir()
        (groups["memory"] / "memory.limit_in_bytes").write_text(str(limits.memory_mb << 20))
        (groups["pids"] / "pids.max").write_text(str(limits.processes))
        return groups
    except OSError:
        _remove(groups)
        return None


def _remove(groups: dict[str, Path]) -> None:
    for group in groups.values():
        for _ in range(500):
            try:
                group.rmdir()
                break
            except FileNotFoundError:
                break
            except OSError:  # processes still dying inside
                for pid in (group / "cgroup.procs").read_text().split():
                    with contextlib.suppress(OSError):
                        os.kill(int(pid), signal.SIGKILL)
                time.sleep(0.01)


def _number(path: Path, key: str | None = None) -> int:
    text = path.read_text()
    return int(text) if key is None else int(dict(line.split() for line in text.splitlines()).get(key, 0))


# ---------------------------------------------------------------- polling (everywhere else)

def _tree_usage(pid: int) -> tuple[float, float, int]:
    """(CPU seconds including finished children, anonymous RSS bytes, processes) of a process tree."""
    try:
        tree = [psutil.Process(pid)]
        tree += tree[0].children(recursive=True)
    except psutil.Error:
        return 0.0, 0.0, 0
    cpu = rss = 0.0
    for process in tree:
        try:
            with process.oneshot():
                times, memory = process.cpu_times(), process.memory_info()
            cpu += times.user + times.system + times.children_user + times.children_system
            rss += memory.rss - memory.shared   # shared library pages would count once per process
        except psutil.Error:
            continue
    return cpu, rss, len(tree)


def _disk_bytes(folder: Path, max_files: int = 20000) -> float:
    total, files = 0, 0
    for root, _, names in walk(folder, max_depth=sys.maxsize):   # iterative: student code can nest folders deep
        for name in names:
            files += 1
            if files > max_files:
                return float("inf")
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(root, name)).st_blocks * 512
    return total


def _tasks_of_this_user(uid: int | None = None) -> int:
    """RLIMIT_NPROC counts every process and thread of the host user, the instructor's own included."""
    count, uid = 0, os.getuid() if uid is None else uid
    for process in psutil.process_iter(["uids", "num_threads"]):
        if process.info["uids"] and process.info["uids"].real == uid:
            count += process.info["num_threads"] or 1
    return count


def _before_exec(limits: JailLimits, groups, processes_already: int, account: pwd.struct_passwd | None = None):
    def apply():  # in the child, between fork and exec of bwrap: the whole tree inherits all of this
        # bwrap arms its own --die-with-parent only after its set-up; this covers the time before
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        for group in (groups or {}).values():
            (group / "cgroup.procs").write_text(str(os.getpid()))
        megabyte = 2 ** 20
        for kind, value in ((resource.RLIMIT_FSIZE, limits.file_mb * megabyte), (resource.RLIMIT_CORE, 0),
                            (resource.RLIMIT_NOFILE, 1024), (resource.RLIMIT_AS, limits.memory_mb * megabyte),
                            (resource.RLIMIT_NPROC, limits.processes + processes_already),
                            (resource.RLIMIT_CPU, int(limits.cpu_seconds * limits.wall_factor) + 10)):
            resource.setrlimit(kind, (value, value))
        if account is not None:   # last: the user cannot raise the limits above, nor regain root
            os.setgroups([])
            os.setgid(account.pw_gid)
            os.setuid(account.pw_uid)
    return apply


# ---------------------------------------------------------------- without the jail: an unprivileged user

def account_of(user: str) -> pwd.struct_passwd:
    """The fallback user's account; refuses root, or a grader that cannot switch users."""
    try:
        account = pwd.getpwnam(user)
    except KeyError:
        raise RuntimeError(f"no user {user!r} to run student code as: create it (useradd --system {user})") from None
    if account.pw_uid == 0 or os.geteuid() != 0:
        raise RuntimeError(f"running student code as {user!r} needs a grader running as root and a user that is not")
    return account


def _hand_over(workdir: Path, account: pwd.struct_passwd) -> None:
    """Give the user its work folder, and a way in: the grader's own temporary folders above it become
    traversable (never listable); any other folder above it must already be."""
    for folder, names, files in os.walk(workdir):
        for name in [folder, *(os.path.join(folder, entry) for entry in names + files)]:
            os.lchown(name, account.pw_uid, account.pw_gid)
    temporary = Path(tempfile.gettempdir()).resolve()
    for parent in Path(workdir).resolve().parents:
        mode = parent.stat().st_mode
        if mode & stat.S_IXOTH:
            continue
        if not parent.is_relative_to(temporary) or parent.stat().st_uid != os.geteuid():
            raise RuntimeError(f"{parent} is closed to other users, so {account.pw_name!r} cannot reach its work "
                               f"folder: grade from a temporary folder (TMPDIR)")
        os.chmod(parent, stat.S_IMODE(mode) | stat.S_IXOTH)


def kill_user(user: str) -> int:
    """Kill every process of ``user``, by uid (daemons that left their session or cgroup included), until none
    is left; returns how many were killed."""
    uid, killed = pwd.getpwnam(user).pw_uid, 0
    for _ in range(200):
        found = [process for process in psutil.process_iter(["uids"])
                 if process.info["uids"] and uid in process.info["uids"]]
        if not found:
            return killed
        for process in found:
            with contextlib.suppress(psutil.Error):
                process.kill()
        # kill(-1) as the user also reaches what it forked since the scan
        subprocess.run(["kill", "-9", "-1"], user=uid, group=pwd.getpwnam(user).pw_gid, extra_groups=[],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        killed += len(found)
        time.sleep(0.02)
    raise RuntimeError(f"processes of {user!r} keep appearing: refusing to go on")


def remove_stale_cgroups() -> None:
    """The cgroups of jails whose grader was killed before it could remove them."""
    for controller, parent in _own_cgroups().items():
        for folder in parent.glob("grader-jail-*") if parent.is_dir() else []:
            if not psutil.pid_exists(int(folder.name.split("-")[2])):
                _remove({controller: folder})


@dataclass(frozen=True)
class Environment:
    """Where student code runs: in a jail; or without one, under the same limits, as ``run_as`` (an unprivileged
    user: GRADER_RUN_AS, where the grader runs as root and bubblewrap cannot, as on some Gradescope containers);
    or, when the instructor opts out (--isolation none), directly, able to see and touch everything the
    instructor can. ``binds``: (host path, path inside) pairs, read-only; ``env``: the variables it sees."""
    isolated: bool
    binds: tuple = ()
    env: tuple = ()
    run_as: str | None = field(default_factory=lambda: os.environ.get(RUN_AS_ENV) or None)

    def home(self, workdir: Path) -> str:
        """The work folder as the code inside sees it."""
        return HOME if self.isolated else str(workdir)

    def run(self, argv: list[str], workdir: Path, limits: JailLimits, log: Path | None = None,
            watch: Callable[[float], str | None] = lambda cpu: None) -> JailRun:
        return run(argv, workdir, limits, self.binds, dict(self.env), log, watch, self.isolated,
                   None if self.isolated else self.run_as)


def run(argv: list[str], workdir: Path, limits: JailLimits, binds=(), env: dict | None = None,
        log: Path | None = None, watch: Callable[[float], str | None] = lambda cpu: None,
        isolated: bool = True, run_as: str | None = None) -> JailRun:
    """Run ``argv`` in a jail whose work folder is ``workdir``; wait for it, or stop it at a limit.
    ``binds``: (host path, jail path) pairs, read-only. ``watch(cpu_seconds)`` is called while it runs;
    a reason it returns stops the jail with that reason. Not ``isolated``: no jail, and with ``run_as``, as
    that user, in a clean environment, owning ``workdir``; what it leaves running is ``kill_user``'s."""
    account = account_of(run_as) if run_as and not isolated else None
    if account:
        _hand_over(workdir, account)
        env = {**_base_env(str(workdir), "/tmp"), "USER": account.pw_name, **(env or {})}
    groups = _cgroups(limits) if os.geteuid() == 0 else None
    guard_read, guard_write = os.pipe()   # when the grader closes or loses it, everything inside is killed
    fds = [guard_read]
    if isolated:
        command = bwrap_command(workdir, binds, env or {}, limits, fds) + [
            "--", "/bin/sh", "-c", 'exec 3<&0 </dev/null; ( (read x <&3; kill -9 -1) & ); exec 3<&- "$@"', "guard",
            *argv]
    else:  # no namespaces: a process group, which code that calls setsid() leaves
        command = argv
    output = open(log, "ab") if log else subprocess.DEVNULL
    started = time.monotonic()
    try:
        process = subprocess.Popen(command, stdin=guard_read, stdout=output, stderr=output, pass_fds=fds,
                                   preexec_fn=_before_exec(limits, groups, 0 if groups else _tasks_of_this_user(
                                       account.pw_uid if account else None), account),
                                   cwd=None if isolated else workdir,
                                   env=None if isolated else env if account else {**os.environ, **(env or {})},
                                   start_new_session=not isolated)
    except BaseException:
        os.close(guard_write)
        raise
    finally:
        for descriptor in fds:
            os.close(descriptor)
        if log:
            output.close()
    limit, cpu, peak, next_disk_check = "", 0.0, 0.0, 0.0
    try:
        while process.poll() is None and not limit:
            if groups:
                cpu = _number(groups["cpuacct"] / "cpuacct.usage") / 1e9
                peak = _number(groups["memory"] / "memory.max_usage_in_bytes")
                limit = "memory" if _number(groups["memory"] / "memory.oom_control", "oom_kill") else ""
            else:
                tree_cpu, rss, processes = _tree_usage(process.pid)
                cpu, peak = max(cpu, tree_cpu), max(peak, rss)
                limit = "memory" if rss > limits.memory_mb << 20 else \
                    "processes" if processes > limits.processes + 3 else ""   # + bwrap, its init, the guard
            now = time.monotonic()
            if not limit and now >= next_disk_check:
                next_disk_check = now + 0.5
                limit = "disk" if _disk_bytes(workdir) > limits.disk_mb << 20 else ""
            limit = limit or ("cpu" if cpu > limits.cpu_seconds else
                              "wall" if now - started > (limits.wall_seconds if limits.wall_seconds is not None
                                                         else limits.wall_factor * limits.cpu_seconds) else
                              watch(cpu) or "")
            if not limit:
                time.sleep(0.05)
    finally:
        os.close(guard_write)   # the guard inside kills every process of the jail
        if not isolated:
            with contextlib.suppress(OSError):
                os.killpg(process.pid, signal.SIGKILL)
        if process.poll() is None:
            with contextlib.suppress(psutil.Error):
                for child in psutil.Process(process.pid).children():  # the PID namespace's init: all die with it
                    child.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(5)
            process.kill()
        returncode = process.wait()
        if groups:
            cpu = _number(groups["cpuacct"] / "cpuacct.usage") / 1e9
            peak = _number(groups["memory"] / "memory.max_usage_in_bytes")
            if not limit and _number(groups["memory"] / "memory.oom_control", "oom_kill"):
                limit = "memory"
            if not limit and _number(groups["pids"] / "pids.events", "max"):
                limit = "processes"
            _remove(groups)
    return JailRun(returncode, limit, cpu, peak / 2 ** 20)
