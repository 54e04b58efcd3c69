"""First run: how long a new user waits, and how long they see nothing, the first time they start trialfinder.

    python bench/first_run.py [--runs 1] [--keep-cache] [--pipe] [--workers N] [--show-output] [--tree DIR]

Runs `trialfinder serve` in a subprocess, as `make start` does, on a fresh data folder and an empty cache folder
(TRIALFINDER_DATA_DIR and TRIALFINDER_CACHE_DIR set to new temporary folders), so that it creates the database and
loads the bundled starter catalogue. Its stderr is a terminal (a pseudo-terminal), as in `make start`, unless
`--pipe` makes it a pipe (as under a service manager or CI). While it loads, this script reads the output and polls
the home page (`/`) every quarter of a second, and prints:

  - first output: seconds until the command printed its first line;
  - longest silence: the longest wait between two consecutive lines (progress updates count) before the site answered;
  - first progress: seconds until the first line that says part of the load is done ("500/8244", "6%");
  - loaded: seconds until "Starter catalogue loaded";
  - first page: seconds until the home page answered 200;
  - the database's size and the number of trials in it.

`--keep-cache` reuses one cache folder across runs (the second run then measures a machine whose gazetteer index is
already built, as after an earlier install). `--tree DIR` runs the code (and starter catalogue) of another checkout,
such as `git worktree add /tmp/before <commit>`, to compare before and after. Not a test: figures depend on the
machine and what else it runs.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROGRESS = re.compile(r"\b(\d[\d,]*)\s*(?:/|of)\s*\d[\d,]*\b|\b(\d+)%")


def progress(text: str) -> bool:
    """Whether a line says that part of the load is done (a position above 0: "500/8,244", "1,000 of 8,244", "12%")."""
    return any(int((match.group(1) or match.group(2)).replace(",", "")) > 0 for match in PROGRESS.finditer(text))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def command(tree: Path | None = None) -> list[str]:
    installed = ROOT / ".venv" / "bin" / "trialfinder"
    if tree is None and installed.exists():
        return [str(installed), "serve"]
    return [sys.executable, "-m", "trialfinder", "serve"]


def one_run(
    cache_dir: Path | None, *, pipe: bool, workers: int | None, show: bool, timeout: float, tree: Path | None = None
) -> dict:
    work = Path(tempfile.mkdtemp(prefix="trialfinder-first-run-"))
    data_dir = work / "data"
    cache = cache_dir or work / "cache"
    port = free_port()
    env = {
        **os.environ,
        "TRIALFINDER_DATA_DIR": str(data_dir),
        "TRIALFINDER_CACHE_DIR": str(cache),
        "PYTHONUNBUFFERED": "1",
    }
    for name in ("TRIALFINDER_DATABASE_URL", "TRIALFINDER_LOAD_STARTER_CATALOGUE", "TRIALFINDER_STARTER_CATALOGUE"):
        env.pop(name, None)
    if workers is not None:
        env["TRIALFINDER_IMPORT_WORKERS"] = str(workers)
    if tree is not None:
        env["PYTHONPATH"] = str(tree.resolve() / "src")
    lines: list[tuple[float, str]] = []
    if pipe:
        reader_fd = None
        stderr_target = subprocess.PIPE
    else:
        import pty

        reader_fd, stderr_target = pty.openpty()
    start = time.monotonic()
    process = subprocess.Popen(
        [*command(tree), "--port", str(port)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=stderr_target,
        env=env,
        cwd=work,
    )
    if not pipe:
        os.close(stderr_target)  # the child has it; EOF (EIO) on the reader when the child exits
    stream_fd = reader_fd if reader_fd is not None else process.stderr.fileno()  # type: ignore[union-attr]

    def read() -> None:
        pending = b""
        pending_since = 0.0  # when the unfinished line's first characters came
        while True:
            try:
                chunk = os.read(stream_fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            now = time.monotonic() - start
            if not pending.strip():
                pending_since = now
            pending += chunk
            # A progress bar redraws its line after a carriage return, without a newline: each redraw is output, seen
            # when its first characters arrive, not when the next redraw ends it.
            *complete, pending = re.split(rb"[\r\n]", pending)
            for number, line in enumerate(complete):
                text = line.decode(errors="replace").strip()
                if text:
                    seen = pending_since if number == 0 else now
                    lines.append((seen, text))
                    if show:
                        print(f"  {seen:7.2f}s  {text}", flush=True)
            if complete:
                pending_since = now

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    first_page = None
    try:
        while time.monotonic() - start < timeout:
            if process.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as answer:
                    if answer.status == 200:
                        first_page = time.monotonic() - start
                        break
            except OSError:
                pass
            time.sleep(0.25)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        reader.join(timeout=5)
        if reader_fd is not None:
            os.close(reader_fd)
    before_page = [t for t, _ in lines if first_page is None or t <= first_page]
    gaps = [b - a for a, b in zip([0.0, *before_page], before_page, strict=False)]
    if first_page is not None and before_page:
        gaps.append(first_page - before_page[-1])
    database = data_dir / "trialfinder.db"
    trials = None
    if database.exists():
        with sqlite3.connect(database) as conn:
            trials = conn.execute("SELECT count(*) FROM trials").fetchone()[0]
    result = {
        "first_output": lines[0][0] if lines else None,
        "longest_silence": max(gaps) if gaps else None,
        "first_progress": next((t for t, text in lines if progress(text)), None),
        "loaded": next((t for t, text in lines if text.startswith("Starter catalogue loaded")), None),
        "first_page": first_page,
        "database_mb": database.stat().st_size / 1e6 if database.exists() else None,
        "trials": trials,
        "exit": process.returncode,
        "last_lines": [text for _, text in lines[-3:]],
    }
    shutil.rmtree(work, ignore_errors=True)
    return result


def seconds(value: float | None) -> str:
    return f"{value:6.1f} s" if value is not None else "     -  "


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="how many first runs, one after the other")
    parser.add_argument("--keep-cache", action="store_true", help="one cache folder for all runs (built by the first)")
    parser.add_argument("--pipe", action="store_true", help="stderr a pipe, not a terminal")
    parser.add_argument("--workers", type=int, help="TRIALFINDER_IMPORT_WORKERS (default: the command's own)")
    parser.add_argument("--show-output", action="store_true", help="print the command's lines as they come")
    parser.add_argument("--timeout", type=float, default=900, help="give up after this many seconds")
    parser.add_argument("--tree", type=Path, help="run the src/ of this checkout instead (before/after comparisons)")
    args = parser.parse_args()
    shared_cache = Path(tempfile.mkdtemp(prefix="trialfinder-first-run-cache-")) if args.keep_cache else None
    print(
        f"{os.cpu_count()} cores, load average {', '.join(f'{x:.2f}' for x in os.getloadavg())};"
        f" stderr a {'pipe' if args.pipe else 'terminal'}; {' '.join(command(args.tree))}"
        + (f" with PYTHONPATH={args.tree.resolve() / 'src'}" if args.tree else "")
    )
    try:
        for run in range(1, args.runs + 1):
            cache_state = "cache reused" if shared_cache is not None and run > 1 else "empty cache"
            print(f"run {run} ({cache_state}):", flush=True)
            result = one_run(
                shared_cache,
                pipe=args.pipe,
                workers=args.workers,
                show=args.show_output,
                timeout=args.timeout,
                tree=args.tree,
            )
            print(f"  first output      {seconds(result['first_output'])}")
            print(f"  longest silence   {seconds(result['longest_silence'])}")
            print(f"  first progress    {seconds(result['first_progress'])}")
            print(f"  catalogue loaded  {seconds(result['loaded'])}")
            print(f"  first page        {seconds(result['first_page'])}")
            size = f"{result['database_mb']:.0f} MB" if result["database_mb"] is not None else "-"
            print(f"  database          {size}, {result['trials'] if result['trials'] is not None else '-'} trials")
            if result["first_page"] is None:
                print(f"  the site never answered (exit {result['exit']}); last lines: {result['last_lines']}")
            print(f"  load average now  {', '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    finally:
        if shared_cache is not None:
            shutil.rmtree(shared_cache, ignore_errors=True)


if __name__ == "__main__":
    main()
