"""Names a package re-exports from a module it cannot import at its top (private)."""

import importlib


def lazy_attributes(package: str, homes: dict[str, str]):
    """A module `__getattr__` (PEP 562) that imports each name of `homes` on first use.

    A topic package (`ssl_keras.clip`, `ssl_keras.foundation`, `ssl_keras.pretext`) makes
    names that live elsewhere reachable this way when their home imports the package's own
    modules, so that an import at the package's top would be circular.

    Args:
        package: the package's `__name__`, for the error message.
        homes: name -> the module that defines it.

    Returns:
        The function to assign to the package's `__getattr__`.
    """

    def __getattr__(name):
        if name in homes:
            return getattr(importlib.import_module(homes[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
