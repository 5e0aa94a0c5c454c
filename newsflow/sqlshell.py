"""`newsflow sql`: DuckDB over the landed tables, one query or an interactive prompt.

Cells hold event-supplied text, so what reaches the terminal is made inert first: control
characters (ANSI escape sequences could move the cursor, retitle the window or hide output) and
bidirectional overrides (which reorder what is displayed) are shown as escapes, never obeyed."""

from __future__ import annotations

import contextlib
import sys
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

MAX_CELL = 60
MAX_ROWS = 1000


def safe_text(value: Any) -> str:
    """A value as one line of inert text: control and format characters become \\xNN / \\uNNNN."""
    text = "NULL" if value is None else str(value)
    out = []
    for char in text:
        if char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp", "Cs", "Co"):
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(char)
    return "".join(out)


def _cell(value: Any, width: int = MAX_CELL) -> str:
    text = safe_text(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def format_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Rows as an aligned plain-text table, terminal-safe, with the row count."""
    header = [_cell(c) for c in columns]
    body = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in body]) for i, h in enumerate(header)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    lines = [line(header), line(["-" * w for w in widths])] + [line(r) for r in body]
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines)


def run_statements(con: Any, sql: str, write: Callable[[str], None]) -> None:
    """Run every statement of sql; print the result of each one that returns rows."""
    for statement in con.extract_statements(sql):
        cursor = con.execute(statement)
        if cursor.description is None:
            continue
        columns = [d[0] for d in cursor.description]
        rows = cursor.fetchmany(MAX_ROWS)
        more = len(rows) == MAX_ROWS and bool(cursor.fetchmany(1))
        write(format_table(columns, rows) + (f"\nonly the first {MAX_ROWS} rows are shown: add a LIMIT" if more else ""))


def first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def interactive(con: Any, output_dir: str | Path, tables: Sequence[str], stdin: TextIO | None = None,
                stdout: TextIO | None = None) -> None:
    """A small prompt: statements end with ';', `.tables` lists the views, `.quit` or Ctrl-D ends.
    Piped input (not a terminal) is read as a script, without prompts."""
    import duckdb

    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    prompt = stdin.isatty()
    if prompt:
        with contextlib.suppress(ImportError):
            import readline  # noqa: F401  (line editing and history for input())
        print(f"newsflow sql on {output_dir}: tables {', '.join(tables)}; end statements with ';', .quit to leave",
              file=stdout)

    def write(text: str) -> None:
        print(text, file=stdout)

    buffer: list[str] = []
    while True:
        try:
            if prompt:
                line = input("newsflow> " if not buffer else "     ...> ")
            else:
                line = stdin.readline()
                if not line:
                    break
        except EOFError:
            break
        except KeyboardInterrupt:  # Ctrl-C drops the statement being typed, as shells do
            buffer = []
            print(file=stdout)
            continue
        stripped = line.strip()
        if not buffer and stripped in (".quit", ".exit", "\\q", "exit", "quit"):
            break
        if not buffer and stripped == ".tables":
            write("\n".join(tables))
            continue
        buffer.append(line.rstrip("\n"))
        if not stripped.endswith(";"):
            continue
        sql, buffer = "\n".join(buffer), []
        try:
            run_statements(con, sql, write)
        except duckdb.Error as exc:
            write(f"error: {safe_text(first_line(exc))}")
    if buffer and "".join(buffer).strip():
        try:
            run_statements(con, "\n".join(buffer), write)
        except duckdb.Error as exc:
            write(f"error: {safe_text(first_line(exc))}")
