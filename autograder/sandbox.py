"""Isolated process trees for the grader: one `Jail` per notebook run (or per judge process).

Three modes, best first (`available_modes()` says which work on this machine):

- "bwrap": bubblewrap (`/usr/bin/bwrap`) with new user, PID, mount, network, IPC, UTS and
  cgroup namespaces. The file system is built from an allow-list: the system folders
  (`/usr`, `/lib*`, `/bin`, `/sbin`, `/etc`) and the Python installation read-only, the
  `ssl_keras` and autograder packages read-only with the grader-private folders
  (`judges/`, `references/`, `fixtures/`) replaced by empty ones, the caller's `readable`
  paths read-only, and the jail's own `workdir` writable. Nothing else exists inside (no
  other checkout, no home, no output folder, no submissions, no sources, no `.git`). There
  is no network at all (only a loopback interface). When the jail's first process exits,
  the PID namespace ends and the kernel kills every process left in it, so no daemon
  outlives a run. When the grader runs as root, bubblewrap runs as an unprivileged uid of
  its own per slot (`setpriv`, no capabilities), so two jails never share a uid.
- "namespaces": the fallback without bubblewrap: the process enters new same-user user,
  mount and network namespaces before it runs (file systems read-only except `workdir`,
  grader paths hidden by a hide-list); no PID namespace.
- "off": no isolation.

In every mode, when the grader runs as root and cgroups are writable, each jail gets its own
cgroup (v2, else v1): memory (resident, page cache, tmpfs, `/dev/shm`, memfd: all of it) and
the number of processes are capped there, the peak and OOM kills are read from there, and
`close()` kills every process of the cgroup. Without a cgroup, a watchdog thread samples
the resident memory of the process tree (psutil) and kills its largest process above the
limit, and `/tmp` and `/dev/shm` inside bubblewrap are tmpfs of bounded size.

This file also runs as a script: `python sandbox.py SPEC_JSON -- ARGV...` enters the
"namespaces" sandbox described by SPEC_JSON and then executes ARGV (how a "namespaces" Jail
starts its process).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import itertools
import json
import logging
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

logger = logging.getLogger(__name__)

MODES = ("bwrap", "namespaces", "off")
BWRAP_CANDIDATES = ("/usr/bin/bwrap", "/bin/bwrap")
SETPRIV_CANDIDATES = ("/usr/bin/setpriv", "/bin/setpriv")
DEFAULT_UID_BASE = 61000
CGROUP_ROOT = Path("/sys/fs/cgroup")
# folders of the autograder package that hold what only the grader may read
PRIVATE_PACKAGE_FOLDERS = ("judges", "references", "fixtures")


class SandboxUnavailable(RuntimeError):
    """Raised by `Jail` when `config.sandbox == "require"` and bubblewrap does not work."""


# ---------------------------------------------------------------------------------------
# Slots: which jails run at once (as root, the slot picks the jail's uid).


class SlotPool:
    """Hands out the lowest free slot index, thread-safely; one pool per process, shared by
    every caller (notebook runs and judges), so concurrent jails never share a uid."""

    def __init__(self):
        self._lock = threading.Lock()
        self._used: set[int] = set()

    def acquire(self) -> int:
        with self._lock:
            index = next(index for index in itertools.count() if index not in self._used)
            self._used.add(index)
            return index

    def release(self, index: int) -> None:
        with self._lock:
            self._used.discard(index)

    @contextlib.contextmanager
    def slot(self):
        """`with SLOTS.slot() as index:` a free slot for the duration of the block."""
        index = self.acquire()
        try:
            yield index
        finally:
            self.release(index)


SLOTS = SlotPool()


# ---------------------------------------------------------------------------------------
# Which modes work (probed once per process).

_modes_lock = threading.Lock()
_modes_cache: list[str] | None = None
_modes_problems: dict[str, str] = {}


def available_modes() -> list[str]:
    """The modes that work on this machine, best first; "off" is always last.

    Probed once per process (a bubblewrap jail running `python -c "import encodings"`, and
    the namespace sandbox in a forked child), then cached.
    """
    global _modes_cache
    with _modes_lock:
        if _modes_cache is None:
            modes = []
            problem = _probe_bwrap()
            if problem is None:
                modes.append("bwrap")
            else:
                _modes_problems["bwrap"] = problem
            problem = _probe_namespaces()
            if problem is None:
                modes.append("namespaces")
            else:
                _modes_problems["namespaces"] = problem
            modes.append("off")
            _modes_cache = modes
        return list(_modes_cache)


def unavailable_reasons() -> dict:
    """Why each missing mode failed its probe (after `available_modes()`)."""
    available_modes()
    return dict(_modes_problems)


def _find(candidates) -> str | None:
    for candidate in candidates:
        if os.access(candidate, os.X_OK):
            return candidate
    return shutil.which(Path(candidates[0]).name)


def _probe_bwrap() -> str | None:
    if _find(BWRAP_CANDIDATES) is None:
        return "bubblewrap is not installed (Debian/Ubuntu package `bubblewrap`)"
    if os.geteuid() == 0 and _find(SETPRIV_CANDIDATES) is None:
        return "setpriv is missing (needed to run bubblewrap unprivileged as root)"
    folder = Path(tempfile.mkdtemp(prefix="ssl-keras-jail-probe-"))
    jail = None
    slot = SLOTS.acquire()
    try:
        jail = Jail(None, slot=slot, workdir=folder, memory_mb=512, mode="bwrap")
        process = jail.popen([sys.executable, "-S", "-c", "import encodings"],
                             env={"PATH": "/usr/bin:/bin"}, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
        _, error = process.communicate(timeout=60)
        if process.returncode != 0:
            return (f"bubblewrap failed (exit {process.returncode}): "
                    f"{error.decode('utf-8', 'replace').strip()[-500:]}")
        return None
    except (OSError, subprocess.SubprocessError) as error:
        return f"bubblewrap failed: {type(error).__name__}: {error}"
    finally:
        if jail is not None:
            jail.close()
        SLOTS.release(slot)
        shutil.rmtree(folder, ignore_errors=True)


def _probe_namespaces() -> str | None:
    folder = tempfile.mkdtemp(prefix="ssl-keras-jail-probe-")
    try:
        return _probe_sandbox(folder, [])
    except OSError as error:
        return f"{type(error).__name__}: {error}"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# ---------------------------------------------------------------------------------------
# Cgroups: one per jail when the grader is root.


class _Cgroup:
    """A v2 cgroup, or a pair of v1 cgroups (memory and pids), for one jail."""

    _counter = itertools.count()

    def __init__(self, memory_mb: float, pids_max: int):
        self.version = None
        self.folders: list[Path] = []  # v2: [group]; v1: [memory group, pids group]
        name = f"ssl-keras-jail-{os.getpid()}-{next(self._counter)}"
        limit = int(memory_mb * 2**20)
        if self._make_v2(name, limit, pids_max) or self._make_v1(name, limit, pids_max):
            return
        self.remove()
        raise OSError("no writable cgroup with the memory and pids controllers")

    @staticmethod
    def own_paths() -> dict:
        """controller ("" for v2) -> this process's cgroup path, from /proc/self/cgroup."""
        paths = {}
        with open("/proc/self/cgroup") as handle:
            for line in handle:
                _, controllers, path = line.rstrip("\n").split(":", 2)
                for controller in controllers.split(",") if controllers else [""]:
                    paths[controller] = path
        return paths

    def _make_v2(self, name, limit, pids_max) -> bool:
        controllers_file = CGROUP_ROOT / "cgroup.controllers"
        try:
            controllers = controllers_file.read_text().split()
        except OSError:
            return False
        if "memory" not in controllers or "pids" not in controllers:
            return False
        parent = CGROUP_ROOT / self.own_paths().get("", "/").lstrip("/")
        try:
            enabled = (parent / "cgroup.subtree_control").read_text().split()
            if "memory" not in enabled or "pids" not in enabled:
                (parent / "cgroup.subtree_control").write_text("+memory +pids")
            folder = parent / name
            folder.mkdir()
            self.folders = [folder]
            self.version = 2
            (folder / "memory.max").write_text(str(limit))
            _write_optional(folder / "memory.swap.max", "0")
            (folder / "pids.max").write_text(str(pids_max))
            return True
        except OSError:
            self.remove()
            return False

    def _make_v1(self, name, limit, pids_max) -> bool:
        own = self.own_paths()
        memory_root, pids_root = CGROUP_ROOT / "memory", CGROUP_ROOT / "pids"
        if not (memory_root / "cgroup.procs").exists() or not (pids_root / "cgroup.procs").exists():
            return False
        try:
            memory = memory_root / own.get("memory", "/").lstrip("/") / name
            pids = pids_root / own.get("pids", "/").lstrip("/") / name
            memory.mkdir()
            self.folders = [memory]
            pids.mkdir()
            self.folders.append(pids)
            self.version = 1
            (memory / "memory.limit_in_bytes").write_text(str(limit))
            _write_optional(memory / "memory.memsw.limit_in_bytes", str(limit))
            _write_optional(memory / "memory.swappiness", "0")
            (pids / "pids.max").write_text(str(pids_max))
            return True
        except OSError:
            self.remove()
            return False

    def procs_files(self) -> list[str]:
        return [str(folder / "cgroup.procs") for folder in self.folders]

    def pids(self) -> set[int]:
        found = set()
        for folder in self.folders:
            try:
                found.update(int(line) for line in (folder / "cgroup.procs").read_text().split())
            except (OSError, ValueError):
                pass
        return found

    def usage(self) -> dict:
        folder = self.folders[0]
        if self.version == 2:
            peak = _read_int(folder / "memory.peak")
            events = _read_keyed(folder / "memory.events")
            killed = events.get("oom_kill", 0) > 0 or events.get("oom_group_kill", 0) > 0
        else:
            peak = _read_int(folder / "memory.max_usage_in_bytes")
            control = _read_keyed(folder / "memory.oom_control")
            if "oom_kill" in control:
                killed = control["oom_kill"] > 0
            else:  # old kernels: the limit was hit and the OOM killer is enabled
                killed = (_read_int(folder / "memory.failcnt") or 0) > 0 and not control.get(
                    "oom_kill_disable", 0)
        return {"peak_memory_mb": round((peak or 0) / 2**20, 1), "memory_killed": bool(killed)}

    def kill_all(self, timeout: float = 10.0) -> None:
        if self.version == 2 and self.folders:
            _write_optional(self.folders[0] / "cgroup.kill", "1")
        deadline = time.monotonic() + timeout
        while True:
            pids = self.pids()
            if not pids or time.monotonic() > deadline:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.02)

    def remove(self) -> None:
        for folder in reversed(self.folders):
            for _ in range(100):
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)
        self.folders = []


def _write_optional(path: Path, text: str) -> None:
    try:
        path.write_text(text)
    except OSError:
        pass


def _read_int(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _read_keyed(path: Path) -> dict:
    values = {}
    try:
        for line in path.read_text().splitlines():
            key, _, value = line.partition(" ")
            try:
                values[key] = int(value)
            except ValueError:
                pass
    except OSError:
        pass
    return values


# ---------------------------------------------------------------------------------------
# The jail.


class Jail:
    """One isolated process tree (a notebook run, or the grader's judge process).

    Args:
        config: a `GradeConfig` (reads `sandbox`, `sandbox_uid_base`, `work_root`,
            `hidden_paths`), or None for the defaults ("auto").
        slot: index of this jail among those running at once (`0 <= slot < config.jobs`);
            as root it picks the jail's uid, `sandbox_uid_base + slot`, so concurrent jails
            never share one.
        workdir: the jail's own folder, the only writable path inside (bound at the same
            path; put HOME and TMPDIR inside it). As root it is handed to the jail's uid.
        readable: more files or folders visible read-only inside (bubblewrap mode).
        memory_mb: memory the whole tree may use (cgroup limit, else the RSS watchdog).
        pids_max: processes and threads the tree may have (cgroup only).
        tmpfs_mb: size of `/tmp` and of `/dev/shm` inside bubblewrap.
        hidden: more paths to hide in the "namespaces" fallback (bubblewrap shows nothing
            that is not allowed anyway).
        mode: force a mode ("bwrap", "namespaces", "off") instead of `config.sandbox`.

    Raises:
        SandboxUnavailable: `config.sandbox == "require"` and bubblewrap does not work.

    Attributes:
        mode: the mode actually used.
        protects: one sentence saying what this mode protects (for the results).
        uid: the uid the tree runs as (None: the grader's own).
        cgroup: "v1", "v2" or None.
    """

    def __init__(self, config, *, slot: int, workdir: Path, readable=(), memory_mb: float,
                 pids_max: int = 512, tmpfs_mb: int = 512, hidden=(), mode: str | None = None):
        self.config = config
        self.slot = int(slot)
        self.workdir = Path(workdir).resolve()
        self.readable = [Path(path) for path in readable]
        self.memory_mb = float(memory_mb)
        self.pids_max = int(pids_max)
        self.tmpfs_mb = int(tmpfs_mb)
        self.hidden = [Path(path) for path in hidden]
        self.mode = mode or self._choose_mode(getattr(config, "sandbox", "auto"))
        self.root = os.geteuid() == 0
        self.uid = None
        if self.root and self.mode == "bwrap":
            base = getattr(config, "sandbox_uid_base", DEFAULT_UID_BASE)
            self.uid = int(base) + self.slot
        self._cgroup = None
        if self.root:
            try:
                self._cgroup = _Cgroup(self.memory_mb, self.pids_max)
            except OSError as error:
                logger.info("no cgroup for the jail: %s", error)
        self.cgroup = f"v{self._cgroup.version}" if self._cgroup else None
        self._processes: list[subprocess.Popen] = []
        self._seen: dict = {}  # pid -> psutil.Process seen by the watchdog
        self._stage: str | None = None
        self._closed = False
        self._lock = threading.Lock()
        self._peak_bytes = 0
        self._memory_killed = False
        self._watchdog: threading.Thread | None = None
        self._stop = threading.Event()
        self.protects = self._describe()

    # -- choosing and describing ---------------------------------------------------------

    @staticmethod
    def _choose_mode(setting: str) -> str:
        if setting == "off":
            return "off"
        modes = available_modes()
        if setting == "require":
            if "bwrap" not in modes:
                raise SandboxUnavailable(
                    "bubblewrap is required (--sandbox require) but does not work here: "
                    + unavailable_reasons().get("bwrap", "unknown reason"))
            return "bwrap"
        return modes[0]

    def _describe(self) -> str:
        if self._cgroup:
            memory = (f"all of its memory (including shared memory, tmpfs and memfd) is capped "
                      f"at {self.memory_mb:.0f} MB and its processes at {self.pids_max} by a "
                      "cgroup")
        else:
            memory = (f"only its resident memory is watched (sampled, {self.memory_mb:.0f} MB)"
                      + (f" and /tmp and /dev/shm are capped at {self.tmpfs_mb} MB"
                         if self.mode == "bwrap" else ""))
        if self.mode == "bwrap":
            who = (f"as its own uid {self.uid} without capabilities" if self.uid is not None
                   else "as the grading user")
            return (f"bubblewrap {who}: the code sees only the system folders, Python, the "
                    "packages and its own folder (the only writable one), has no network, "
                    "cannot see or signal other processes, and nothing it starts outlives the "
                    f"run; {memory}.")
        if self.mode == "namespaces":
            return ("same-user namespaces without bubblewrap: file systems are read-only except "
                    "its own folder and the grader's files are hidden, there is no network, but "
                    "other processes are visible and can be signalled"
                    + (", and a root grader's code is root in its namespace" if self.root else "")
                    + f"; {memory}.")
        return ("no isolation: the code can read and write whatever the grading user can; "
                f"only time limits apply and {memory}.")

    # -- starting ------------------------------------------------------------------------

    def popen(self, argv, *, env: dict, stdin=None, stdout=None, stderr=None, pass_fds=(),
              cwd=None) -> subprocess.Popen:
        """Starts `argv` inside the jail with exactly the environment `env`.

        `pass_fds` reach the process (through bubblewrap) with the same numbers; `cwd`
        (default: `workdir`) must lie inside `workdir` in bubblewrap mode. Returns the
        Popen of the outermost process (bubblewrap, setpriv or the process itself).
        """
        if self._closed:
            raise RuntimeError("this Jail is closed")
        cwd = str(Path(cwd).resolve()) if cwd else str(self.workdir)
        argv = [str(arg) for arg in argv]
        stage_mounts = []
        if self.mode == "bwrap":
            command, stage_mounts = self._bwrap_command(argv, env, cwd)
            if self.uid is not None:
                _chown_tree(self.workdir, self.uid)
                setpriv = _find(SETPRIV_CANDIDATES)
                command = [setpriv, "--reuid", str(self.uid), "--regid", str(self.uid),
                           "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", *command]
            popen_cwd = "/"
        elif self.mode == "namespaces":
            spec = {"private": str(self.workdir), "hidden": self._hide_list(),
                    "restore": [str(path) for path in self._allowed_paths()]}
            command = [sys.executable, "-S", str(Path(__file__).resolve()), json.dumps(spec),
                       "--", *argv]
            popen_cwd = cwd
        else:
            command, popen_cwd = argv, cwd
        procs_files = self._cgroup.procs_files() if self._cgroup else []
        stage = self._stage

        def enter():  # runs in the child between fork and exec: no locks, no allocation-heavy work
            for path in procs_files:
                with open(path, "w") as handle:
                    handle.write(str(os.getpid()))
            if stage_mounts:
                _mount_stage(stage, stage_mounts)

        process = subprocess.Popen(
            command, env=dict(env), stdin=stdin, stdout=stdout, stderr=stderr,
            pass_fds=tuple(pass_fds), cwd=popen_cwd, start_new_session=True,
            preexec_fn=enter if (procs_files or stage_mounts) else None,
        )
        with self._lock:
            self._processes.append(process)
        if self._cgroup is None and self._watchdog is None:
            self._watchdog = threading.Thread(target=self._watch, daemon=True)
            self._watchdog.start()
        return process

    def _allowed_paths(self) -> list[Path]:
        """What the code may read: Python, the packages, `readable` (bubblewrap binds these)."""
        from . import paths

        candidates = [Path(sys.base_prefix), Path(sys.prefix), Path(sys.exec_prefix),
                      Path(sys.executable).parent]
        repository = paths.REPOSITORY_DIR.resolve()
        prefixes = [Path(prefix).resolve() for prefix in
                    (sys.base_prefix, sys.prefix, sys.exec_prefix)]
        for entry in sys.path:
            if not entry or not os.path.exists(entry):
                continue
            path = Path(entry).resolve()
            in_prefix = any(_within(path, prefix) for prefix in prefixes)
            # beyond the installation only package folders: never a script's folder, the
            # repository (tests/, assignments/, .git), the current folder or a home
            packages = path.name.endswith(("site-packages", "dist-packages")) or path.is_file()
            if not in_prefix and (not packages or _within(repository, path)):
                continue
            candidates.append(path)
        for module in ("ssl_keras",):
            folder = _module_folder(module)
            if folder is not None:
                candidates.append(folder)
        candidates.append(paths.PACKAGE_DIR)
        candidates += self.readable
        allowed = []
        for path in candidates:
            path = path.resolve()
            if path == Path("/") or not path.exists():
                continue
            if path not in allowed and not any(
                    _within(path, other) for other in allowed if other.is_dir()):
                allowed = [other for other in allowed if not _within(other, path)] + [path]
        return allowed

    def _bwrap_command(self, argv, env, cwd):
        from . import paths

        system = {"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc"}
        command = [_find(BWRAP_CANDIDATES), "--unshare-all", "--die-with-parent",
                   "--new-session", "--cap-drop", "ALL", "--hostname", "jail",
                   "--proc", "/proc", "--dev", "/dev",
                   "--size", str(self.tmpfs_mb * 2**20), "--tmpfs", "/tmp",
                   "--size", str(self.tmpfs_mb * 2**20), "--tmpfs", "/dev/shm"]
        for name in sorted(system):
            if os.path.islink(name):
                command += ["--symlink", os.readlink(name), name]
            elif os.path.isdir(name):
                command += ["--ro-bind", name, name]
        stage_mounts = []  # (source, name in the stage folder) when root: see _mount_stage

        def bind(option, source: Path):
            if self.uid is None:
                return [option, str(source), str(source)]
            if self._stage is None:
                self._stage = tempfile.mkdtemp(prefix="ssl-keras-jail-stage-")
                os.chmod(self._stage, 0o755)
            name = str(len(stage_mounts))
            stage_mounts.append((str(source), name))
            return [option, os.path.join(self._stage, name), str(source)]

        for path in self._allowed_paths():
            if any(_within(path, Path(folder)) for folder in system):
                continue
            command += bind("--ro-bind", path)
        private = [paths.PACKAGE_DIR / name for name in PRIVATE_PACKAGE_FOLDERS]
        for folder in private:
            if folder.is_dir():
                command += ["--size", str(2**16), "--tmpfs", str(folder)]
        # a `readable` path inside a grader-private folder (a judge's own module) comes back
        for path in self.readable:
            path = path.resolve()
            if path.exists() and any(_within(path, folder) for folder in private):
                command += bind("--ro-bind", path)
        command += bind("--bind", self.workdir)
        command += ["--clearenv"]
        for key, value in env.items():
            command += ["--setenv", str(key), str(value)]
        command += ["--chdir", cwd, "--", *argv]
        return command, stage_mounts

    def _hide_list(self) -> list[str]:
        """What the "namespaces" fallback hides (it starts from the whole machine)."""
        from . import paths

        candidates = ["/tmp", "/var/tmp", tempfile.gettempdir(), "/dev/shm",
                      getattr(self.config, "work_root", None),
                      *[paths.PACKAGE_DIR / name for name in PRIVATE_PACKAGE_FOLDERS],
                      paths.REPOSITORY_DIR / ".git", paths.REPOSITORY_DIR / "tests",
                      paths.ASSIGNMENTS_DIR, Path.home(),
                      *getattr(self.config, "hidden_paths", []), *self.hidden]
        needed = self._allowed_paths() + [path.resolve() for path in self.readable]
        temporary = {Path(folder).resolve() for folder in ("/tmp", "/var/tmp",
                                                          tempfile.gettempdir())}
        hidden = []
        for candidate in candidates:
            if candidate is None:
                continue
            candidate = Path(candidate).resolve()
            # a temporary folder is hidden even when the repository or the venv lies in it:
            # the needed paths are mounted back inside it
            if candidate not in temporary and any(_within(path, candidate) for path in needed):
                continue
            if str(candidate) not in hidden:
                hidden.append(str(candidate))
        return hidden

    # -- watching, measuring, ending -----------------------------------------------------

    def _watch(self, interval: float = 0.2) -> None:
        """Without a cgroup: samples the tree's resident memory, kills its largest process
        above `memory_mb`, and remembers every process seen (for `close()`)."""
        import psutil

        limit = self.memory_mb * 2**20
        while not self._stop.is_set():
            with self._lock:
                roots = [process.pid for process in self._processes if process.poll() is None]
            if not roots:
                if self._stop.wait(interval):
                    break
                continue
            members = []
            for pid in roots:
                try:
                    root = psutil.Process(pid)
                    members += [root, *root.children(recursive=True)]
                except psutil.Error:
                    pass
            sizes = []
            for member in members:
                try:
                    self._seen.setdefault(member.pid, member)
                    sizes.append((member.memory_info().rss, member))
                except psutil.Error:
                    pass
            total = sum(size for size, _ in sizes)
            self._peak_bytes = max(self._peak_bytes, total)
            if total > limit and sizes:
                _, largest = max(sizes, key=lambda item: item[0])
                self._memory_killed = True
                try:
                    largest.kill()
                except psutil.Error:
                    pass
            self._stop.wait(interval)

    def usage(self) -> dict:
        """{"peak_memory_mb", "memory_killed"}: from the cgroup when there is one (all
        memory), else from the watchdog (resident memory, sampled)."""
        if self._cgroup is not None and self._cgroup.folders:
            return self._cgroup.usage()
        return {"peak_memory_mb": round(self._peak_bytes / 2**20, 1),
                "memory_killed": self._memory_killed}

    def close(self) -> None:
        """Kills every process of the tree and removes the cgroup and the staging folder.
        Idempotent; call `usage()` before it."""
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        with self._lock:
            processes = list(self._processes)
        if self._cgroup is not None:
            self._cgroup.kill_all()
        for process in processes:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except OSError:
                pass
        for member in list(self._seen.values()):
            try:
                member.kill()
            except Exception:  # noqa: BLE001 (psutil.Error: already gone)
                pass
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        if self._watchdog is not None:
            self._watchdog.join(timeout=5)
        if self._cgroup is not None:
            self._cgroup.kill_all()
            self._cgroup.remove()
        if self._stage is not None:
            try:
                os.rmdir(self._stage)
            except OSError:
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _module_folder(name: str) -> Path | None:
    import importlib.util

    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin or spec.origin in ("built-in", "frozen"):
        return None
    return Path(spec.origin).resolve().parent


def _chown_tree(folder: Path, uid: int) -> None:
    """Hands `folder` and everything in it to `uid` (the jail's own user)."""
    os.chown(folder, uid, uid, follow_symlinks=False)
    for parent, folders, files in os.walk(folder):
        for name in folders + files:
            os.chown(os.path.join(parent, name), uid, uid, follow_symlinks=False)


# ---------------------------------------------------------------------------------------
# Mount helpers (ctypes): the staging mounts of a root grader, and the "namespaces" sandbox.

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT = 1, 2, 4, 8, 32
MS_NOATIME, MS_NODIRATIME, MS_BIND, MS_REC, MS_PRIVATE, MS_RELATIME = (
    1024, 2048, 4096, 16384, 1 << 18, 1 << 21
)
CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWNET = 0x00020000, 0x10000000, 0x40000000
# statvfs flags a remount inside a user namespace must keep (the kernel locks them)
KEPT_FLAGS = {2: MS_NOSUID, 4: MS_NODEV, 8: MS_NOEXEC, 1024: MS_NOATIME, 2048: MS_NODIRATIME,
              4096: MS_RELATIME}
_LIBC = ctypes.CDLL(None, use_errno=True)


def _call(name, *args):
    if getattr(_LIBC, name)(*args) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"{name}{args[:2]}: {os.strerror(error)}")


def _mount(source, target, fstype, flags, data=None):
    def encode(text):
        return text.encode() if text is not None else None
    _call("mount", encode(source), encode(target), encode(fstype), flags, encode(data))


def _mount_stage(stage: str, mounts) -> None:
    """In the child of a root grader, before it drops to the jail's uid: a private mount
    namespace where `stage/<name>` shows each source. Bubblewrap, running unprivileged, can
    then bind sources whose parents its uid cannot enter (a Python under /root, a private
    folder made by mkdtemp). Other processes see only the empty stage folder."""
    _call("unshare", CLONE_NEWNS)
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _mount("tmpfs", stage, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=755")
    for source, name in mounts:
        target = os.path.join(stage, name)
        if os.path.isdir(source):
            os.mkdir(target)
        else:
            os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o644))
        _mount(source, target, None, MS_BIND | MS_REC)


def _mount_points() -> list[str]:
    points = []
    with open("/proc/self/mountinfo") as handle:
        for line in handle:
            point = line.split()[4]
            points.append(point.encode().decode("unicode_escape"))
    return points


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def sandbox(private: str, hidden: list[str], restore: list[str] = ()) -> None:
    """Enters new user, mount and network namespaces (no root needed where the system allows
    unprivileged user namespaces): every file system read-only except `private`, each path
    of `hidden` replaced by an empty folder (or /dev/null), and no network but loopback.
    Only this process and its children see it. Raises OSError if unavailable.
    """
    uid, gid = os.getuid(), os.getgid()
    _call("unshare", CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET)
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"),
                       ("gid_map", f"{gid} {gid} 1")):
        with open(f"/proc/self/{name}", "w") as handle:
            handle.write(text)
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    own = os.open(private, os.O_RDONLY | os.O_DIRECTORY)
    # Order: hidden folders that hold a needed path (a repository cloned into /tmp) first,
    # then the needed paths mounted back from handles opened before, then the other hidden
    # paths, some of which lie inside the mounted-back ones (references, fixtures).
    restore = [path for path in restore if any(_inside(path, folder) for folder in hidden)]
    handles = [(path, os.open(path, os.O_RDONLY | os.O_DIRECTORY)) for path in restore
               if os.path.isdir(path)]
    outer = [folder for folder in hidden if any(_inside(path, folder) for path in restore)]
    inner = [folder for folder in hidden if folder not in outer]
    for path in outer:
        _mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=755")
    for path, handle in handles:
        os.makedirs(path, exist_ok=True)
        _mount(f"/proc/self/fd/{handle}", path, None, MS_BIND | MS_REC)
        os.close(handle)
    for path in inner:
        if not os.path.lexists(path):
            continue
        if os.path.isdir(path):
            _mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=755")
        else:
            _mount("/dev/null", path, None, MS_BIND)
    # the private folder may lie under a hidden one: mount it back from the open handle
    os.makedirs(private, exist_ok=True)
    _mount(f"/proc/self/fd/{own}", private, None, MS_BIND | MS_REC)
    os.close(own)
    keep_writable = {private, "/dev", "/dev/shm", "/proc", "/sys"}
    for point in _mount_points():
        if point in keep_writable or point.startswith(("/proc/", "/sys/", "/dev/")):
            continue
        try:
            flags = os.statvfs(point).f_flag
        except OSError:
            continue
        kept = sum(ms for st, ms in KEPT_FLAGS.items() if flags & st)
        try:
            _mount(None, point, None, MS_REMOUNT | MS_BIND | MS_RDONLY | kept)
        except OSError:
            if point == "/":
                raise
    _loopback_up()


def _loopback_up() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as handle:
        flags = 0x1 | 0x8 | 0x40  # IFF_UP | IFF_LOOPBACK | IFF_RUNNING
        fcntl.ioctl(handle, 0x8914, struct.pack("16sH14s", b"lo", flags, b"\0" * 14))


def _probe_sandbox(private: str, hidden: list[str], restore: list[str] = ()) -> str | None:
    """Tries the namespace sandbox in a forked child (a half-made one must not be left
    behind). Returns None if it works, else why not."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: try, report, exit without cleanup
        os.close(read_end)
        try:
            sandbox(private, hidden, restore)
            code, message = 0, b""
        except BaseException as error:  # noqa: BLE001
            code, message = 1, f"{type(error).__name__}: {error}".encode()
        os.write(write_end, message[:2000])
        os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        message = pipe.read().decode("utf-8", "replace")
    _, status = os.waitpid(pid, 0)
    return None if os.waitstatus_to_exitcode(status) == 0 else (message or "unknown error")


def _enter_and_exec(arguments: list[str]) -> None:
    """`sandbox.py SPEC -- ARGV...`: enter the namespace sandbox, then become ARGV."""
    spec = json.loads(arguments[0])
    argv = arguments[arguments.index("--") + 1:]
    try:
        sandbox(spec["private"], spec.get("hidden", []), spec.get("restore", []))
    except OSError as error:
        sys.stderr.write(f"sandbox: {error}\n")
        os._exit(125)
    try:
        os.execvp(argv[0], argv)
    except OSError as error:
        sys.stderr.write(f"sandbox: cannot run {argv[0]}: {error}\n")
        os._exit(errno.ENOENT if error.errno == errno.ENOENT else 126)


if __name__ == "__main__":
    _enter_and_exec(sys.argv[1:])
