"""The simclr notebook's own pipeline in its full setting: the figures the notebook states.

Executes the source notebook `assignments/simclr/simclr.ipynb` (the solutions in place)
with nbclient, without `SSL_KERAS_FAST`, from the top through its linear-probe table
(the cell `linear_probe`): the digits, SimCLR trained with the solution's augmentation
and projection head, the positives-only model, features from the solution's
`extract_features`, the solution's probe with 1% and 100% of the labels, and kNN. The
temperature ablation and the supervised rows that follow are not run. The table
(`results`) is read back from the kernel and written, with the training history, the
machine and the wall time, to `benchmarks/results/simclr_notebook_digits_<backend>.json`,
from which `assignments/simclr/make_notebook.py` takes the figures it states.

Usage:
    KERAS_BACKEND=jax python benchmarks/simclr_notebook.py
"""

import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common  # noqa: E402

NOTEBOOK = Path(__file__).resolve().parents[1] / "assignments" / "simclr" / "simclr.ipynb"
LAST_CELL = "linear_probe"
MARKER = "@@simclr-notebook-results@@"
REPORT = f"""
import dataclasses
import json

print({MARKER!r} + json.dumps({{
    "results": results,
    "labelled_1_percent": len(subset),
    "num_train": len(x_train),
    "num_test": len(x_test),
    "dataset": DATASET,
    "config": dataclasses.asdict(config),
    "history": {{key: [float(value) for value in values]
                 for key, values in history.history.items()}},
}}))
"""


def main(argv=None) -> int:
    import nbclient
    import nbformat

    os.environ.pop("SSL_KERAS_FAST", None)
    backend = os.environ.setdefault("KERAS_BACKEND", "jax")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    ids = [cell.get("id") for cell in notebook.cells]
    notebook.cells = notebook.cells[: ids.index(LAST_CELL) + 1]
    notebook.cells.append(nbformat.v4.new_code_cell(REPORT))
    start = time.perf_counter()
    nbclient.NotebookClient(notebook, timeout=7200, kernel_name="python3").execute(
        cwd=str(NOTEBOOK.parent))
    wall = time.perf_counter() - start
    text = "".join(output.get("text", "") for output in notebook.cells[-1].outputs)
    record = json.loads(text.split(MARKER, 1)[1])
    payload = {
        "benchmark": "simclr_notebook",
        "machine": _common.machine(),
        "command": f"KERAS_BACKEND={backend} python benchmarks/simclr_notebook.py",
        "wall_time_s": round(wall, 1),
        **record,
    }
    path = _common.write_result(f"simclr_notebook_{record['dataset']}", backend, payload)
    for name, row in record["results"].items():
        print(f"{name:15s} " + "   ".join(f"{key} {value:6.1%}" for key, value in row.items()
                                          if value == value))
    print(f"wrote {path} ({wall:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
