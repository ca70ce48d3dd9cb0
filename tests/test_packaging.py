"""The explicit package list in pyproject.toml matches the source tree."""

import pathlib

import pytest

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _packages_on_disk(folder: str, name: str) -> set[str]:
    base = ROOT / folder
    found = set()
    for init in base.rglob("__init__.py"):
        relative = init.parent.relative_to(base).parts
        if "__pycache__" in relative:
            continue
        found.add(".".join((name, *relative)))
    return found


def test_every_package_is_listed_and_every_listed_package_exists():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    on_disk = _packages_on_disk("ssl_keras", "ssl_keras") | _packages_on_disk(
        config["package-dir"]["ssl_keras_autograder"], "ssl_keras_autograder"
    )
    assert listed == on_disk, (
        f"missing from pyproject: {sorted(on_disk - listed)}; "
        f"listed but absent: {sorted(listed - on_disk)}"
    )


def test_autograder_does_not_claim_a_generic_top_level_name():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert "autograder" not in {name.split(".")[0] for name in config["packages"]}


@pytest.mark.parametrize("platform, machine, expected", [
    ("linux", "x86_64", "tensorflow-cpu"),
    ("win32", "AMD64", "tensorflow-cpu"),
    ("darwin", "arm64", "tensorflow"),  # tensorflow-cpu has no macOS wheel
    ("darwin", "x86_64", "tensorflow"),
    ("linux", "aarch64", "tensorflow"),  # nor an ARM Linux one
])
def test_the_tensorflow_extra_names_one_package_that_has_wheels_there(platform, machine,
                                                                       expected):
    from packaging.requirements import Requirement

    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]["tensorflow"]
    environment = {"sys_platform": platform, "platform_machine": machine}
    chosen = [requirement.name for requirement in map(Requirement, extra)
              if requirement.marker is None or requirement.marker.evaluate(environment)]
    assert chosen == [expected]
