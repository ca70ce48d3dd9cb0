"""Every `Example:` in a docstring of the package runs, on every backend.

An example with an expected output (`>>> x` followed by the value) must print it
(`...` and whitespace are lenient); an example without one must run without raising.
Examples that need a download or minutes of training carry `# doctest: +SKIP`.
"""

import doctest
import importlib
import pkgutil

import pytest

import ssl_keras

# Examples that train or build a large model: a few seconds each, run with `-m slow`.
SLOW = {
    "ssl_keras.layers.multi_crop.MultiCropAugmentation",
    "ssl_keras.layers.simclr_augmentation.SimCLRAugmentation",
    "ssl_keras.models.backbone_encoder.backbone_encoder",
    "ssl_keras.models.cifar_resnet.cifar_resnet18_encoder",
    "ssl_keras.models.masked_autoencoder.MaskedAutoencoder",
    "ssl_keras.models.mini_clip.MiniCLIP",
    "ssl_keras.models.pretext_model.PretextModel",
}


class _RunsOrMatches(doctest.OutputChecker):
    """An example with no expected output passes if it runs; otherwise doctest's rule."""

    def check_output(self, want, got, optionflags):
        return not want.strip() or super().check_output(want, got, optionflags)


def _docstring_tests():
    finder = doctest.DocTestFinder(exclude_empty=True)
    found = []
    for info in pkgutil.walk_packages(ssl_keras.__path__, "ssl_keras."):
        module = importlib.import_module(info.name)
        for test in finder.find(module, module.__name__):
            # A name imported into a package's namespace is found again there: keep the
            # test where the object is defined.
            if test.examples and test.filename == getattr(module, "__file__", None):
                found.append(test)
    return sorted(found, key=lambda test: test.name)


TESTS = _docstring_tests()


def test_the_package_has_examples():
    assert len(TESTS) > 50


@pytest.mark.parametrize(
    "test",
    [pytest.param(test, id=test.name,
                  marks=[pytest.mark.slow] if test.name in SLOW else [])
     for test in TESTS],
)
def test_docstring_example(test):
    runner = doctest.DocTestRunner(
        checker=_RunsOrMatches(),
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
    )
    report = []
    test.globs = dict(test.globs)
    result = runner.run(test, out=report.append, clear_globs=True)
    assert result.failed == 0, "".join(report)
