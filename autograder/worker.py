"""Executes one notebook in a fresh kernel; the grader's Execute step runs it as a process.

`python worker.py FD` (a standalone script: it imports nothing from this package) reads a
JSON request on stdin (the sanitized notebook, which holds the hidden tests, never touches
the disk), runs every code cell with nbclient in the throwaway directory `workdir`, and
writes `{"notebook", "events"}` as JSON to the pipe FD.
Events say where the run stopped: "cell_timeout" (the cell was interrupted and the run
went on), "kernel_stuck" (it ignored the interrupt), "notebook_timeout", "kernel_died",
"kernel_start_failed", "worker_error".
"""

from __future__ import annotations

import json
import os
import sys
import time

GRADER_METADATA = "ssl_keras_grader"  # the same as notebook.GRADER_METADATA
TIMEOUT = "CellTimeoutError"


def _on_cell_executed(cell, cell_index, execute_reply):
    content = (execute_reply or {}).get("content", {})
    cell.setdefault("metadata", {})[GRADER_METADATA] = {
        "status": content.get("status"),
        "ename": content.get("ename"),
        "evalue": content.get("evalue"),
    }


def execute(request: dict) -> dict:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    notebook = nbformat.from_dict(request["notebook"])
    cell_timeout = float(request["cell_timeout"])
    deadline = time.monotonic() + float(request["timeout"])
    events = []
    client = NotebookClient(
        notebook,
        timeout=int(cell_timeout),
        allow_errors=True,
        # on a timeout nbclient interrupts the kernel and waits for its reply: the cell gets
        # a KeyboardInterrupt and the next cells run (raising CellTimeoutError instead leaves
        # nbclient's output poller running, and it swallows the next cells' outputs)
        interrupt_on_timeout=True,
        error_on_timeout={"ename": TIMEOUT, "evalue": "cell timed out", "traceback": []},
        kernel_name=request["kernel_name"],
        startup_timeout=int(request["startup_timeout"]),
        resources={"metadata": {"path": request["workdir"]}},
        on_cell_executed=_on_cell_executed,
        record_timing=True,
    )
    try:
        with client.setup_kernel():
            for index, cell in enumerate(notebook.cells):
                if cell.get("cell_type") != "code":
                    continue
                remaining = deadline - time.monotonic()
                if remaining < 1:
                    events.append({"kind": "notebook_timeout", "cell": index})
                    break
                limited_by_deadline = remaining < cell_timeout
                client.timeout = max(1, int(min(cell_timeout, remaining)))
                try:
                    client.execute_cell(cell, index)
                except CellTimeoutError:
                    events.append({"kind": "notebook_timeout", "cell": index})
                    break
                except DeadKernelError:
                    events.append({"kind": "kernel_died", "cell": index})
                    break
                if cell.metadata.get(GRADER_METADATA, {}).get("ename") != TIMEOUT:
                    continue
                if limited_by_deadline:
                    events.append({"kind": "notebook_timeout", "cell": index})
                    break
                events.append({"kind": "cell_timeout", "cell": index})
                interrupted = any(
                    output.get("ename") == "KeyboardInterrupt" for output in cell.outputs
                )
                if not interrupted:  # the kernel ignored the interrupt: stop here
                    events.append({"kind": "kernel_stuck", "cell": index})
                    break
    except DeadKernelError:
        events.append({"kind": "kernel_died", "cell": None})
    except Exception as error:  # noqa: BLE001 (reported to the grader, which goes on)
        kind = "kernel_start_failed" if client.kc is None else "worker_error"
        events.append({"kind": kind, "message": f"{type(error).__name__}: {error}"})
    return {"notebook": notebook, "events": events}


MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT = 1, 2, 4, 8, 32
MS_NOATIME, MS_NODIRATIME, MS_BIND, MS_REC, MS_PRIVATE, MS_RELATIME = (
    1024, 2048, 4096, 16384, 1 << 18, 1 << 21
)
CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWNET = 0x00020000, 0x10000000, 0x40000000
# statvfs flags a remount inside a user namespace must keep (the kernel locks them)
KEPT_FLAGS = {2: MS_NOSUID, 4: MS_NODEV, 8: MS_NOEXEC, 1024: MS_NOATIME, 2048: MS_NODIRATIME,
              4096: MS_RELATIME}


def _libc():
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)

    def call(name, *args):
        if getattr(libc, name)(*args) != 0:
            error = ctypes.get_errno()
            raise OSError(error, f"{name}{args[:2]}: {os.strerror(error)}")

    return call


def _mount(call, source, target, fstype, flags, data=None):
    def encode(text):
        return (text.encode() if text is not None else None)
    call("mount", encode(source), encode(target), encode(fstype), flags, encode(data))


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
    Only this process and its children (the kernel) see it. Raises OSError if unavailable.
    """
    call = _libc()
    uid, gid = os.getuid(), os.getgid()
    call("unshare", CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET)
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"),
                       ("gid_map", f"{gid} {gid} 1")):
        with open(f"/proc/self/{name}", "w") as handle:
            handle.write(text)
    _mount(call, None, "/", None, MS_REC | MS_PRIVATE)
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
        _mount(call, "tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=755")
    for path, handle in handles:
        os.makedirs(path, exist_ok=True)
        _mount(call, f"/proc/self/fd/{handle}", path, None, MS_BIND | MS_REC)
        os.close(handle)
    for path in inner:
        if not os.path.lexists(path):
            continue
        if os.path.isdir(path):
            _mount(call, "tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=755")
        else:
            _mount(call, "/dev/null", path, None, MS_BIND)
    # the private folder may lie under a hidden one: mount it back from the open handle
    os.makedirs(private, exist_ok=True)
    _mount(call, f"/proc/self/fd/{own}", private, None, MS_BIND | MS_REC)
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
            _mount(call, None, point, None, MS_REMOUNT | MS_BIND | MS_RDONLY | kept)
        except OSError:
            if point == "/":
                raise
    _loopback_up()


def _loopback_up() -> None:
    import fcntl
    import socket
    import struct

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as handle:
        flags = 0x1 | 0x8 | 0x40  # IFF_UP | IFF_LOOPBACK | IFF_RUNNING
        fcntl.ioctl(handle, 0x8914, struct.pack("16sH14s", b"lo", flags, b"\0" * 14))


def _probe(private: str, hidden: list[str], restore: list[str] = ()) -> str | None:
    """Tries the sandbox in a forked child first: a half-made one (say, a network namespace
    without loopback) must not be left behind. Returns None if it works, else why not."""
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


def main() -> None:
    result_fd = int(sys.argv[1])
    request = json.loads(sys.stdin.read())
    mode = request.get("sandbox", "off")
    status = "off"
    if mode != "off":
        problem = _probe(request["private"], request.get("hidden", []),
                         request.get("restore", []))
        if problem is None:
            sandbox(request["private"], request.get("hidden", []), request.get("restore", []))
            status = True
        else:
            status = f"unavailable: {problem}"
            if mode == "require":
                payload = {"notebook": request["notebook"], "sandbox": status,
                           "events": [{"kind": "sandbox_failed", "message": status}]}
                with os.fdopen(result_fd, "wb") as pipe:
                    pipe.write(json.dumps(payload).encode("utf-8"))
                return
    result = execute(request)
    result["sandbox"] = status
    payload = json.dumps(result).encode("utf-8")
    with os.fdopen(result_fd, "wb") as pipe:
        pipe.write(payload)


if __name__ == "__main__":
    main()
