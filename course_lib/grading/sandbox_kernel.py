"""The IPython kernel the grader runs submissions in: an ordinary ipykernel with limits.

Used by :mod:`course_lib.grading.grade`, which writes a kernelspec whose command is

    python -m course_lib.grading.sandbox_kernel --memory-mb 6144 --cpu-seconds 130 -- -f {connection_file}

Before the kernel starts, this sets the process's resource limits, so that they hold
for everything the student's code does:

* ``RLIMIT_AS`` (address space): a huge allocation fails with MemoryError / RuntimeError
  instead of taking the machine down. It counts *virtual* memory: a CUDA build of torch
  maps ~3.5 GB at import, so keep the limit well above that (default 6 GB);
* ``RLIMIT_CPU``: a loop that ignores the grader's interrupt is killed by the OS;
* ``RLIMIT_CORE`` = 0 (a segfault writes no core file) and ``RLIMIT_FSIZE`` (no huge files).
"""
from __future__ import annotations

import argparse
import resource
import sys


def apply_limits(memory_mb: int, cpu_seconds: int, file_mb: int = 64) -> None:
    mem = memory_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_mb * 2**20, file_mb * 2**20))


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    ours, rest = (argv[: argv.index("--")], argv[argv.index("--") + 1:]) if "--" in argv else (argv, [])
    parser = argparse.ArgumentParser(prog="python -m course_lib.grading.sandbox_kernel")
    parser.add_argument("--memory-mb", type=int, required=True)
    parser.add_argument("--cpu-seconds", type=int, required=True)
    args = parser.parse_args(ours)
    apply_limits(args.memory_mb, args.cpu_seconds)
    from ipykernel import kernelapp

    kernelapp.launch_new_instance(argv=rest)


if __name__ == "__main__":
    main()
