"""Only the experiment jobs set global random state; the rest of the package never does."""

import ast
from pathlib import Path

import ssl_keras

PACKAGE = Path(ssl_keras.__file__).parent
JOBS = PACKAGE / "experiments"
GLOBAL_SEEDING = {"set_random_seed", "seed", "manual_seed", "set_seed", "PRNGKey"}


def _global_seeding_calls(path: Path) -> list[str]:
    """Calls such as `keras.utils.set_random_seed(0)` or `np.random.seed(0)` in `path`."""
    calls = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if not isinstance(node, ast.Call):
            continue
        function = node.func
        name = function.attr if isinstance(function, ast.Attribute) else getattr(
            function, "id", None)
        if name not in GLOBAL_SEEDING:
            continue
        # `np.random.seed` and `keras.utils.set_random_seed` set global state;
        # `keras.random.SeedGenerator(seed)` and `np.random.default_rng(seed)` do not.
        if name == "seed" and not ast.unparse(function).endswith("random.seed"):
            continue
        calls.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: {ast.unparse(node)}")
    return calls


def test_the_checker_finds_global_seeding(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import keras, numpy as np\n"
        "keras.utils.set_random_seed(0)\n"
        "np.random.seed(1)\n"
        "rng = np.random.default_rng(2)\n"
        "generator = keras.random.SeedGenerator(seed=3)\n"
    )
    original = globals()["PACKAGE"]
    globals()["PACKAGE"] = tmp_path
    try:
        found = _global_seeding_calls(sample)
    finally:
        globals()["PACKAGE"] = original
    assert [line.split(": ", 1)[1] for line in found] == [
        "keras.utils.set_random_seed(0)", "np.random.seed(1)"]


def test_only_the_jobs_set_global_seeds():
    offending = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if JOBS not in path.parents:
            offending += _global_seeding_calls(path)
    assert offending == [], "global seeding outside ssl_keras/experiments:\n" + "\n".join(
        offending)


def test_the_jobs_do_seed():
    # The rule above would hold trivially if the jobs had moved elsewhere.
    assert any(_global_seeding_calls(path) for path in JOBS.rglob("*.py"))
