"""Executes one notebook in a fresh kernel; the grader's Execute step runs it as a process.

`python worker.py FD` (a standalone script: it imports nothing from this package) reads a
JSON request on stdin (the sanitized notebook, which holds the hidden tests, never touches
the disk), runs every code cell with nbclient in the throwaway directory `workdir`, and
writes `{"notebook", "events"}` as JSON to the pipe FD. The grader starts it inside a
`sandbox.Jail`: the worker does not isolate itself.
Events say where the run stopped: "cell_timeout" (the cell was interrupted and the run
went on), "locked_cell_timeout" (the same for a locked cell: the course's own code, run
with the longer `locked_cell_timeout`, so a timeout there is the grader's or the machine's
problem, not the student's), "kernel_stuck" (it ignored the interrupt),
"notebook_timeout", "kernel_died", "kernel_start_failed", "worker_error".

Outputs are capped while they arrive (a 200 MB print never lives whole in the worker):
stream text beyond `output_cell_kb` per cell is cut with a note "[output cut: N MB more]",
an image or other rich output above `output_image_kb` is replaced by a note, and past
`output_notebook_mb` of kept output in the notebook later outputs are dropped with a note.
"""

from __future__ import annotations

import json
import os
import sys
import time

GRADER_METADATA = "ssl_keras_grader"  # the same as notebook.GRADER_METADATA
TIMEOUT = "CellTimeoutError"


class OutputCaps:
    """Keeps a notebook's outputs within the request's limits, output by output.

    Args:
        cell_kb: stream text (stdout and stderr together) kept per cell.
        image_kb: largest image or other rich output kept.
        notebook_mb: output kept in the whole notebook.
    """

    def __init__(self, cell_kb: float, image_kb: float, notebook_mb: float):
        self.cell_limit = int(cell_kb * 1024)
        self.image_limit = int(image_kb * 1024)
        self.notebook_limit = int(notebook_mb * 2**20)
        self.kept = 0  # bytes of output kept in the notebook
        self.stream_kept: dict[int, int] = {}  # cell index -> stream characters kept
        self.cut: dict[int, int] = {}  # cell index -> bytes cut from streams and errors
        self.dropped: dict[int, int] = {}  # cell index -> outputs dropped (notebook limit)

    def admit(self, outs: list, cell_index: int) -> None:
        """Caps `outs[-1]`, the output just appended to cell `cell_index`: truncates it,
        replaces it by a note, or removes it (streams and errors only, which carry no
        display id, so the indices nbclient keeps for display updates stay valid)."""
        out = outs[-1]
        kind = out.get("output_type")
        if kind == "stream":
            text = out.get("text", "")
            room = self.cell_limit - self.stream_kept.get(cell_index, 0)
            room = max(0, min(room, self.notebook_limit - self.kept))
            if len(text) > room:
                self.cut[cell_index] = self.cut.get(cell_index, 0) + len(text) - room
                text = text[:room]
            if not text:
                outs.pop()
                return
            out["text"] = text
            self.stream_kept[cell_index] = self.stream_kept.get(cell_index, 0) + len(text)
            self.kept += len(text)
            return
        if kind == "error":
            size = self._error_size(out)
            if size > self.cell_limit:
                self.cut[cell_index] = self.cut.get(cell_index, 0) + size
                out["evalue"] = str(out.get("evalue", ""))[: self.cell_limit // 4]
                out["traceback"] = [line[: self.cell_limit // 16]
                                    for line in out.get("traceback", [])[-8:]]
                size = self._error_size(out)
            self.kept += size  # errors are kept even past the notebook limit: they grade
            return
        size = self.data_size(out.get("data", {}))
        if size > self.image_limit:
            out["data"] = {"text/plain": self.too_large_note(out.get("data", {}), size)}
            out["metadata"] = {}
            size = len(out["data"]["text/plain"])
        elif self.kept + size > self.notebook_limit:
            self.dropped[cell_index] = self.dropped.get(cell_index, 0) + 1
            out["data"] = {"text/plain": "[output dropped: the notebook's output limit of "
                                         f"{self.notebook_limit / 2**20:.0f} MB was reached]"}
            out["metadata"] = {}
            size = len(out["data"]["text/plain"])
        self.kept += size

    def cap_update(self, content: dict) -> None:
        """Caps the data of an `update_display_data` message before nbclient applies it."""
        size = self.data_size(content.get("data", {}))
        if size > self.image_limit:
            content["data"] = {"text/plain": self.too_large_note(content.get("data", {}), size)}
            content["metadata"] = {}

    def notes(self, cell_index: int) -> list[dict]:
        """The notes to append to a cell once it ran: what was cut from it."""
        notes = []
        cut = self.cut.pop(cell_index, 0)
        if cut:
            notes.append(f"[output cut: {cut / 2**20:.1f} MB more]\n")
        dropped = self.dropped.pop(cell_index, 0)
        if dropped:
            notes.append(f"[{dropped} outputs dropped: the notebook's output limit of "
                         f"{self.notebook_limit / 2**20:.0f} MB was reached]\n")
        return [{"output_type": "stream", "name": "stderr", "text": note} for note in notes]

    @staticmethod
    def data_size(data: dict) -> int:
        return sum(len(value) if isinstance(value, str) else len(json.dumps(value))
                   for value in data.values())

    @staticmethod
    def too_large_note(data: dict, size: int) -> str:
        kinds = ", ".join(sorted(data)) or "output"
        return f"[output cut: {kinds} of {size / 2**20:.1f} MB is too large to keep]"

    @staticmethod
    def _error_size(out: dict) -> int:
        return len(str(out.get("evalue", ""))) + sum(len(line) for line in out.get("traceback", []))


def _client_class():
    """nbclient's NotebookClient, with every output capped as it arrives."""
    from nbclient import NotebookClient

    class CappedClient(NotebookClient):
        caps: OutputCaps | None = None

        def output(self, outs, msg, display_id, cell_index):
            before = len(outs)
            out = super().output(outs, msg, display_id, cell_index)
            if self.caps is not None and out is not None and len(outs) == before + 1:
                self.caps.admit(outs, cell_index)
            return out

        def _update_display_id(self, display_id, msg):
            if self.caps is not None:
                self.caps.cap_update(msg.get("content", {}))
            return super()._update_display_id(display_id, msg)

    return CappedClient


def is_locked_cell(cell) -> bool:
    """A locked nbgrader cell that is not graded: it runs the course's code (which may call
    the student's functions)."""
    metadata = cell.get("metadata", {}).get("nbgrader", {})
    return bool(metadata.get("locked")) and not metadata.get("grade") and not metadata.get(
        "solution")


def _raise_oom_score(client) -> None:
    """Makes the kernel (and what it starts) the first victim of the OOM killer: memory the
    cgroup charges but no process maps (a memfd, tmpfs) must not get the worker killed."""
    try:
        pid = client.km.provisioner.process.pid
        with open(f"/proc/{pid}/oom_score_adj", "w") as handle:
            handle.write("1000")
    except (AttributeError, OSError):
        pass


def _on_cell_executed(cell, cell_index, execute_reply):
    content = (execute_reply or {}).get("content", {})
    cell.setdefault("metadata", {})[GRADER_METADATA] = {
        "status": content.get("status"),
        "ename": content.get("ename"),
        "evalue": content.get("evalue"),
    }


def execute(request: dict) -> dict:
    import nbformat
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    notebook = nbformat.from_dict(request["notebook"])
    cell_timeout = float(request["cell_timeout"])
    locked_timeout = float(request.get("locked_cell_timeout", cell_timeout))
    deadline = time.monotonic() + float(request["timeout"])
    caps = OutputCaps(float(request.get("output_cell_kb", 256)),
                      float(request.get("output_image_kb", 2048)),
                      float(request.get("output_notebook_mb", 16)))
    events = []
    client = _client_class()(
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
    client.caps = caps
    try:
        with client.setup_kernel():
            _raise_oom_score(client)
            for index, cell in enumerate(notebook.cells):
                if cell.get("cell_type") != "code":
                    continue
                remaining = deadline - time.monotonic()
                if remaining < 1:
                    events.append({"kind": "notebook_timeout", "cell": index})
                    break
                locked = is_locked_cell(cell)
                limit = locked_timeout if locked else cell_timeout
                limited_by_deadline = remaining < limit
                client.timeout = max(1, int(min(limit, remaining)))
                try:
                    client.execute_cell(cell, index)
                except CellTimeoutError:
                    events.append({"kind": "notebook_timeout", "cell": index})
                    break
                except DeadKernelError:
                    events.append({"kind": "kernel_died", "cell": index})
                    break
                finally:
                    cell.outputs = list(cell.get("outputs", [])) + [
                        nbformat.from_dict(note) for note in caps.notes(index)]
                if cell.metadata.get(GRADER_METADATA, {}).get("ename") != TIMEOUT:
                    continue
                if limited_by_deadline:
                    events.append({"kind": "notebook_timeout", "cell": index})
                    break
                events.append({"kind": "locked_cell_timeout" if locked else "cell_timeout",
                               "cell": index})
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


def main() -> None:
    result_fd = int(sys.argv[1])
    request = json.loads(sys.stdin.read())
    result = execute(request)
    payload = json.dumps(result).encode("utf-8")
    with os.fdopen(result_fd, "wb") as pipe:
        pipe.write(payload)


if __name__ == "__main__":
    main()
