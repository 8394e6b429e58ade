"""dbt on DuckDB and PostgreSQL run inside the pytest worker (dbtRunner) instead of a new process each time.

A new `dbt` process imports dbt and its adapter (1.25 s) and builds its JSON schemas again before any node runs;
a test run makes two hundred of them. In the worker, that is paid once. What a process would give each run
for free is restored around every run here: the environment, the working folder (the DuckDB file is named
relative to it), stdout and stderr captured as a CompletedProcess, and no database left open (dbt-duckdb keeps
one per process across runs: the test could not open it read-only, nor another run open a different file).

dbt's own test caches are on (`enable_test_caching`, as dbt's functional-test fixtures do): Jinja's parse of
a text dbt parsed before in this worker is reused, keyed by the text itself. A parse from scratch (every new set
of vars) then skips parsing dbt's 650 macros again: seconds less each. Three more pure steps are remembered the
same way (memoize_pure_steps): a template's compilation to Python and a dict's schema validation (a full parse
3.1 -> 2.3 s), and the type tester dbt builds for every query result it reads (it makes two date parsers each
time: a demo build with its data tests 10.5 -> 8.6 s). And a debug event that no logger writes is dropped before
dbt formats it (4,000 in a demo build, about 0.5 of its 5 CPU-s).

Runs take a lock: dbt's flags, logger and adapters, like the environment and the working folder, are
per process. RFM_TEST_DBT_PROCESS=1 goes back to one process per run.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import threading
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

LOCK = threading.RLock()  # re-entrant: a test's helper may hold it around a run (conftest.Workspace.dbt)
# dbt's own exit codes (dbt.cli.exceptions): 1 a run that failed, 2 an error before or around it
FAILED, ERROR = 1, 2


def enabled(env: dict[str, str]) -> bool:
    """DuckDB and PostgreSQL: a Spark session would outlive the run in the worker."""
    return env.get("RFM_TARGET") in (None, "postgres") and os.environ.get("RFM_TEST_DBT_PROCESS") != "1"


@contextlib.contextmanager
def environment(env: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    for folder in env.get("PYTHONPATH", "").split(os.pathsep):
        if folder and folder not in sys.path:
            sys.path.append(folder)  # the profile's DuckDB plugin module, found as the process would find it
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def close_duckdb() -> None:
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager as manager

    with manager._LOCK:
        if manager._ENV is not None:
            manager._ENV.close()
            manager._ENV = None
        manager._LOGGED_MESSAGES.clear()  # its warnings are once per run


_MEMOS: dict[tuple[Any, ...], Any] = {}


def memoize_pure_steps() -> None:
    """Three steps of every parse, compile and run that are pure functions of their input, remembered across the
    runs of this worker: Jinja's compilation of a template text to Python code (per environment class and syntax
    settings), the JSON-schema validation of a node's or a config's dict (only inputs that passed), and agate's
    type tester for a query result's columns (its data types are settings only: dbt shares a default one too)."""
    import jinja2
    from dbt_common.clients import agate_helper
    from dbt_common.dataclass_schema import dbtClassMixin

    compile_text, validate = jinja2.Environment.compile, dbtClassMixin.validate.__func__
    build_type_tester = agate_helper.build_type_tester
    if getattr(compile_text, "memoized", False):
        return

    def compile_memo(self: jinja2.Environment, source: Any, name: str | None = None, filename: str | None = None,
                     raw: bool = False, defer_init: bool = False) -> Any:
        if not isinstance(source, str):
            return compile_text(self, source, name, filename, raw, defer_init)
        key = (type(self), tuple(sorted(self.extensions)), self.block_start_string, self.variable_start_string,
               self.comment_start_string, self.trim_blocks, self.lstrip_blocks, self.keep_trailing_newline,
               source, name, filename, raw, defer_init)
        if key not in _MEMOS:
            _MEMOS[key] = compile_text(self, source, name, filename, raw, defer_init)
        return _MEMOS[key]

    def validate_memo(cls: type, data: Any) -> None:
        try:
            key = (cls, json.dumps(data, sort_keys=True, default=repr))
        except TypeError:  # keys that do not sort: validated every time
            return validate(cls, data)
        if key not in _MEMOS:
            validate(cls, data)
            _MEMOS[key] = True

    def type_tester_memo(text_columns: Any, string_null_values: Any = ("null", "")) -> Any:
        # dbt passes the text columns as a set: only which columns, not their order, makes the tester
        columns = frozenset(text_columns)
        key = ("type_tester", columns, None if string_null_values is None else tuple(string_null_values))
        if key not in _MEMOS:
            _MEMOS[key] = build_type_tester(columns, string_null_values)
        return _MEMOS[key]

    setattr(compile_memo, "memoized", True)
    jinja2.Environment.compile = compile_memo  # type: ignore[method-assign]
    dbtClassMixin.validate = classmethod(validate_memo)  # type: ignore[method-assign,assignment]
    agate_helper.build_type_tester = type_tester_memo


def skip_unlogged_debug_events() -> None:
    """dbt turns every event into a message and a log line before its logger drops those below the logger's level.
    A debug event that no logger writes is dropped at the start instead (the only other listener of a run here,
    dbt's behaviour-change tracker, reads warnings)."""
    from dbt_common.events.base_types import EventLevel
    from dbt_common.events.event_manager import EventManager

    fire_event = EventManager.fire_event
    if getattr(fire_event, "skips_unlogged", False):
        return

    def fire_logged_event(self: EventManager, e: Any, level: Any = None, node: Any = None,
                          force_warn_or_error_handling: bool = False) -> None:
        if not force_warn_or_error_handling and (level or e.level_tag()) == EventLevel.DEBUG and all(
                logger.level != EventLevel.DEBUG for logger in self.loggers):
            return
        fire_event(self, e, level, node, force_warn_or_error_handling)

    setattr(fire_logged_event, "skips_unlogged", True)
    EventManager.fire_event = fire_logged_event  # type: ignore[method-assign]


def run(cmd: Sequence[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """`dbt cmd[1:]` as if run as a process with this environment in this folder."""
    from dbt.cli.main import dbtRunner
    from dbt.cli.exceptions import DbtUsageException
    from dbt_common.events.functions import capture_stdout_logs, stop_capture_stdout_logs
    from dbt_common.tests import enable_test_caching

    enable_test_caching()
    memoize_pure_steps()
    skip_unlogged_debug_events()

    out, err = io.StringIO(), io.StringIO()
    with LOCK, environment(env), contextlib.chdir(cwd), contextlib.redirect_stdout(out), \
            contextlib.redirect_stderr(err):
        capture_stdout_logs(out)
        try:
            result = dbtRunner().invoke(list(cmd[1:]))
        finally:
            stop_capture_stdout_logs()
            close_duckdb()
    if result.success:
        code = 0
    elif result.exception is None:
        code = FAILED
    else:
        code = ERROR
        if isinstance(result.exception, DbtUsageException):
            err.write(f"Error: {result.exception}\n")  # as click prints it
        elif "Encountered an error" not in out.getvalue():  # an error dbt did not report: the process's traceback
            err.write("".join(traceback.format_exception(result.exception)))
    return subprocess.CompletedProcess(list(cmd), code, out.getvalue(), err.getvalue())
