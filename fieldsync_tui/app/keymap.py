"""The editor's own keys: `[keymap]` in fieldsync's config file remaps bindings by id.

The file is `fieldsync/config.toml` in the platform's user config folder
(`FIELDSYNC_CONFIG` names another, as the tests do). A missing file is no
keymap; a broken one is a notification naming the problem, never a crash, and
the default keys stay. docs/app.md ("Keys") lists the ids.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import platformdirs

CONFIG_ENV = "FIELDSYNC_CONFIG"


def config_path() -> Path:
    override = os.environ.get(CONFIG_ENV)
    if override:
        return Path(override)
    return Path(platformdirs.user_config_dir("fieldsync")) / "config.toml"


def parse_keymap(text: str, where: str) -> tuple[dict[str, str], list[str]]:
    """(binding id -> keys, problems) from a config file's text; a wrong entry is left
    out and named, the right ones are kept."""
    try:
        config = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        return {}, [f"{where} is not valid TOML ({error}); the default keys are used"]
    section = config.get("keymap", {})
    if not isinstance(section, dict):
        return {}, [f'{where}: [keymap] must be a table of binding id = "keys"']
    keymap, problems = {}, []
    for binding_id, keys in section.items():
        if isinstance(keys, str) and keys.strip():
            keymap[binding_id] = ",".join(k.strip() for k in keys.split(",") if k.strip())
        else:
            problems.append(
                f'{where}: keymap entry {binding_id!r} must be a key or keys like "j,down"'
            )
    return keymap, problems


def load_keymap(path: Path | None = None) -> tuple[dict[str, str], list[str]]:
    """The keymap of the config file (none if there is no file), and its problems."""
    path = path or config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}, []
    except (OSError, UnicodeDecodeError) as error:
        return {}, [f"{path} could not be read ({error}); the default keys are used"]
    return parse_keymap(text, str(path))


def apply_keymap(app) -> None:
    """Give `app` (a Textual App) the config file's keymap; say what was wrong in it."""
    keymap, problems = load_keymap()
    if keymap:
        app.set_keymap(keymap)
    for problem in problems:
        app.notify(problem, title="Keymap", severity="error", timeout=30)
