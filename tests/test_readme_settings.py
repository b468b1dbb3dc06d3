"""The README's settings table and the environment variables the code reads stay in step: each
variable read is listed, each listed one is read, and a number the code falls back to is the
default the table gives."""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Where the site reads its environment: settings and their helpers, gunicorn's config, commands.
CODE_FILES = sorted([*ROOT.glob("orgsite/*.py"), *ROOT.glob("jobs/**/*.py")])
ENVIRONMENT_NAME_RE = re.compile(r"[A-Z][A-Z0-9_]*")


def _name(function: ast.expr | None) -> str:
    return getattr(function, "id", "") or getattr(function, "attr", "")


def _is_environment_read(call: ast.Call) -> bool:
    """orgsite.env's helpers (env_int("NAME", default), ...) and os.environ.get("NAME")."""
    function = _name(call.func)
    return function.startswith("env_") or (
        function == "get" and _name(getattr(call.func, "value", None)) == "environ"
    )


def _number(node: ast.expr | None) -> float | None:
    """A default written as a number, or as a product of numbers (15 * 60); None otherwise."""
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        left, right = _number(node.left), _number(node.right)
        return None if left is None or right is None else left * right
    return None


@functools.cache
def code_trees() -> tuple[ast.Module, ...]:
    """CODE_FILES parsed, once for the three tests that read them (some 0.4 s each time)."""
    return tuple(ast.parse(path.read_text(), str(path)) for path in CODE_FILES)


def variables_read() -> dict[str, set[float | None]]:
    """Each environment variable the code reads, with the defaults it reads it with."""
    read: dict[str, set[float | None]] = {}
    for tree in code_trees():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and node.args and _is_environment_read(node)):
                continue
            name = node.args[0]
            if isinstance(name, ast.Constant) and ENVIRONMENT_NAME_RE.fullmatch(str(name.value)):
                default = node.args[1] if len(node.args) > 1 else None
                read.setdefault(name.value, set()).add(_number(default))
    return read


def settings_table() -> dict[str, str]:
    """The README's settings table: each variable with its default cell. A row naming two
    (`A` / `B`) gives their defaults in the same order."""
    section = (ROOT / "README.md").read_text().split("\n## Settings\n")[1].split("\n## ")[0]
    table: dict[str, str] = {}
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        names_cell, default_cell = line.strip("|").split("|")[:2]
        names = re.findall(r"`([A-Z][A-Z0-9_]*)`", names_cell)
        defaults = default_cell.split(" / ")
        for position, name in enumerate(names):
            table[name] = defaults[position] if len(defaults) == len(names) else default_cell
    return table


def test_the_settings_table_lists_every_variable_the_code_reads_and_no_other():
    read, documented = set(variables_read()), set(settings_table())

    assert "SYNC_LOCK_SECONDS" in read and "LOG_FORMAT" in read  # settings.py's and gunicorn's
    assert sorted(read - documented) == [], "read by the code but not in README.md's table"
    assert sorted(documented - read) == [], "in README.md's table but read by no code"


def test_the_settings_table_gives_the_numbers_the_code_falls_back_to():
    table = settings_table()
    mismatches = []
    for name, defaults in variables_read().items():
        shown = {float(number) for number in re.findall(r"`(-?[0-9.]+)`", table.get(name, ""))}
        mismatches += [
            (name, default, table.get(name))
            for default in defaults
            if default is not None and float(default) not in shown
        ]

    assert mismatches == []


def test_the_var_dir_row_names_every_file_and_directory_the_code_keeps_there():
    kept = {
        node.right.value
        for tree in code_trees()
        for node in ast.walk(tree)
        if isinstance(node, ast.BinOp)
        and isinstance(node.op, ast.Div)
        and _name(node.left) == "VAR_DIR"
        and isinstance(node.right, ast.Constant)
    }
    row = next(
        line
        for line in (ROOT / "README.md").read_text().splitlines()
        if line.startswith("| `ORGSITE_VAR_DIR` |")
    )

    assert "celerybeat-schedule" in kept and "db.sqlite3" in kept
    assert sorted(name for name in kept if f"`{name}" not in row) == []
