"""Resolve the dbt target of profile `rfm` the way dbt does, without dbt internals.

Reads profiles.yml, renders `{{ env_var('X', 'default') }}` (and dbt's `as_number`) with jinja2 and
returns the chosen output as a plain dict. Engine-specific clean-up lives in `_NORMALISERS`.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any, Callable

import jinja2
import yaml

from rfm_cli import PROJECT_ROOT, UserError

PROFILE_NAME = "rfm"


class ProfileError(UserError):
    """A user error in profiles.yml or in the requested target."""


def _env_var(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise ProfileError(f"env var '{name}' is required by profiles.yml but not set")
    return value


def _render(value: Any, env: jinja2.Environment) -> Any:
    # dbt renders every string of the profile, at any depth.
    if isinstance(value, str):
        try:
            return env.from_string(value).render()
        except jinja2.TemplateError as exc:
            raise ProfileError(f"profiles.yml: cannot render {value!r}: {exc}") from exc
    if isinstance(value, dict):
        return {k: _render(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [_render(v, env) for v in value]
    return value


def _project_path(value: str) -> str:
    # The example profile promises paths relative to the project root, whatever the cwd.
    return str(Path(value) if Path(value).is_absolute() else PROJECT_ROOT / value)


def published_path(database: str, configured: str | None = None) -> str:
    """The published copy of the marts (docs/bi.md): `configured`, else `<database stem>_marts.duckdb` beside
    the database; empty for a database that is not a file (nothing to publish)."""
    if configured:
        return configured
    if database in ("", ":memory:") or database.startswith(("md:", "motherduck:")):
        return ""
    path = Path(database)
    return str(path.with_name(f"{path.stem}_marts.duckdb"))


def _normalise_duckdb(output: dict[str, Any]) -> dict[str, Any]:
    path = str(output.get("path") or ":memory:")
    # ':memory:' and MotherDuck ('md:...') are not files.
    if path != ":memory:" and not path.startswith(("md:", "motherduck:")):
        path = _project_path(path)
    # DuckDB's configuration: config_options (applied once per database, see profiles.yml.example) and settings
    settings = {**(output.get("config_options") or {}), **(output.get("settings") or {})}
    if settings.get("temp_directory"):
        settings["temp_directory"] = _project_path(str(settings["temp_directory"]))
    plugin = next((p for p in output.get("plugins") or [] if p.get("module") == "rfm_publish"), {})
    published = published_path(path, (plugin.get("config") or {}).get("published_path"))
    return {**output, "path": path, "settings": settings, "location": path,
            "published_path": _project_path(published) if published else ""}


def _normalise_postgres(output: dict[str, Any]) -> dict[str, Any]:
    # dbt-postgres accepts `database` as an alias of `dbname`.
    dbname = output.get("dbname") or output.get("database")
    for key, value in (("host", output.get("host")), ("user", output.get("user")), ("dbname", dbname)):
        if not value:
            raise ProfileError(f"postgres target: '{key}' is required")
    try:
        port = int(output.get("port", 5432))
    except (TypeError, ValueError):
        raise ProfileError(f"postgres target: port must be a number, got {output.get('port')!r}") from None
    location = f"postgresql://{output['user']}@{output['host']}:{port}/{dbname}"
    return {**output, "dbname": str(dbname), "port": port, "password": str(output.get("password") or ""),
            "location": location}


def _normalise_spark(output: dict[str, Any]) -> dict[str, Any]:
    params = {str(k): str(v) for k, v in (output.get("server_side_parameters") or {}).items()}
    # A session resolves relative paths against the working directory, which for dbt is the project root.
    if "spark.sql.warehouse.dir" in params:
        params["spark.sql.warehouse.dir"] = _project_path(params["spark.sql.warehouse.dir"])
    metastore_key = "spark.hadoop.javax.jdo.option.ConnectionURL"
    if metastore_key in params:
        params[metastore_key] = re.sub(
            r"(databaseName=)([^;]+)", lambda m: m.group(1) + _project_path(m.group(2)), params[metastore_key]
        )
    method = str(output.get("method", ""))
    if method == "session":
        location = params.get("spark.sql.warehouse.dir", "spark-warehouse")
    else:
        port = f":{output['port']}" if output.get("port") else ""
        location = f"{method}://{output.get('host')}{port}"
    return {**output, "method": method, "server_side_parameters": params, "location": location}


def connect_spark_thrift(target: dict[str, Any], database: str) -> Any:
    """A PyHive connection to the Thrift server of a `method: thrift` Spark target, opened as dbt-spark opens
    it: the same credentials, and server_side_parameters as the session's settings."""
    from pyhive import hive  # from requirements-spark.txt, which only this engine needs

    # thrift logs a failed connection on stderr too: the caller's one-line error says it already.
    logging.getLogger("thrift").addHandler(logging.NullHandler())
    if target.get("use_ssl"):
        raise ProfileError(f"target '{target['target_name']}': use_ssl is not supported by the scripts (dbt only)")
    return hive.connect(host=target["host"], port=int(target.get("port") or 10000), username=target.get("user"),
                        auth=target.get("auth"), kerberos_service_name=target.get("kerberos_service_name"),
                        password=target.get("password"), database=database,
                        configuration=target["server_side_parameters"] or None)


_NORMALISERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "duckdb": _normalise_duckdb,
    "postgres": _normalise_postgres,
    "spark": _normalise_spark,
}


def profiles_dir(explicit: str | None = None) -> Path:
    """--profiles-dir, else $DBT_PROFILES_DIR, else the project root."""
    return Path(explicit or os.environ.get("DBT_PROFILES_DIR") or PROJECT_ROOT)


def resolve_target(profiles_path: str | None = None, target: str | None = None) -> dict[str, Any]:
    """Return the rendered output of `target` (or the profile's default) as a dict.

    The dict always holds `type` and `target_name`; raises ProfileError on any user error.
    """
    file = profiles_dir(profiles_path) / "profiles.yml"
    try:
        doc = yaml.safe_load(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProfileError(f"{file} not found (copy profiles.yml.example or pass --profiles-dir)") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ProfileError(f"cannot read {file}: {exc}") from None
    profile = doc.get(PROFILE_NAME) if isinstance(doc, dict) else None
    if not isinstance(profile, dict) or not isinstance(profile.get("outputs"), dict):
        raise ProfileError(f"{file}: no profile '{PROFILE_NAME}' with 'outputs'")

    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    env.globals["env_var"] = _env_var
    # Rendering yields text whatever the filter does; the normalisers check and convert numbers.
    env.filters["as_number"] = str
    name = target or str(_render(profile.get("target", "default"), env))
    outputs = profile["outputs"]
    if name not in outputs:
        raise ProfileError(f"{file}: unknown target '{name}' (have: {', '.join(map(str, outputs))})")
    output = _render(outputs[name], env)
    if not isinstance(output, dict) or "type" not in output:
        raise ProfileError(f"{file}: target '{name}' has no 'type'")
    normalise = _NORMALISERS.get(str(output["type"]))
    if normalise is None:
        raise ProfileError(f"target '{name}': type '{output['type']}' is not supported yet")
    return {**normalise(output), "target_name": name}
