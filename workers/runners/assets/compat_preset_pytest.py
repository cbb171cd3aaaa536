"""compat-matrix's pytest preset, loaded with `-p compat_preset_pytest` from PYTEST_ADDOPTS.

Writes JUnit to $COMPAT_PRESET_JUNIT when the command asked for none, and runs only the tests (or
files) in $COMPAT_PRESET_SELECT. Tests are matched by their node id or by the JUnit id pytest's own
junitxml gives them (CLASSNAME::NAME), which is what compat-matrix knows them by: no pattern, no quoting.
"""
import json
import os

import pytest

try:
    from _pytest.junitxml import mangle_test_address
except ImportError:  # pragma: no cover - every pytest since 2.x has it
    mangle_test_address = None


def _selection():
    path = os.environ.get("COMPAT_PRESET_SELECT")
    if not path or not os.path.exists(path):
        return None, None
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    ids = data.get("ids")
    files = data.get("files")
    return (set(ids) if ids else None), (set(os.path.normpath(p) for p in files) if files else None)


_IDS, _FILES = _selection()


def _junit_id(nodeid, prefix):
    if mangle_test_address is None:
        return None
    names = mangle_test_address(nodeid)
    classname = ".".join(names[:-1])
    if prefix:
        classname = prefix + "." + classname
    return classname + "::" + names[-1] if classname else names[-1]


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    # Before junitxml's own pytest_configure reads it: a path the command gave is kept.
    target = os.environ.get("COMPAT_PRESET_JUNIT")
    if target and not getattr(config.option, "xmlpath", None):
        config.option.xmlpath = target


def pytest_ignore_collect(collection_path, config):
    # Files are relative to the folder the command runs in (the consumer's workdir).
    if _FILES is None:
        return None
    p = str(collection_path)
    rel = os.path.normpath(os.path.relpath(p, str(config.invocation_params.dir)))
    if os.path.isdir(p):
        # A folder is entered when one of the files asked for is inside it.
        return None if rel == "." or any(f == rel or f.startswith(rel + os.sep) for f in _FILES) else True
    return None if rel in _FILES else True


def pytest_collection_modifyitems(session, config, items):
    if _IDS is None:
        return
    prefix = getattr(config.option, "junitprefix", None)
    keep, drop = [], []
    for item in items:
        (keep if item.nodeid in _IDS or _junit_id(item.nodeid, prefix) in _IDS else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
