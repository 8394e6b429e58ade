"""Resolve the dbt target of profile `rfm` the way dbt does, without dbt internals.

Reads profiles.yml, renders `{{ env_var('X', 'default') }}` with jinja2 and returns the chosen
output as a plain dict. Engine-specific clean-up lives in `_NORMALISERS`: add postgres/spark there.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable

import jinja2
import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PROFILE_NAME = "rfm"


class ProfileError(Exception):
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


def _normalise_duckdb(output: dict[str, Any]) -> dict[str, Any]:
    path = str(output.get("path") or ":memory:")
    # ':memory:' and MotherDuck ('md:...') are not files.
    if path != ":memory:" and not path.startswith(("md:", "motherduck:")):
        path = _project_path(path)
    settings = dict(output.get("settings") or {})
    if settings.get("temp_directory"):
        settings["temp_directory"] = _project_path(str(settings["temp_directory"]))
    return {**output, "path": path, "settings": settings}


_NORMALISERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "duckdb": _normalise_duckdb,
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
