"""The API fuzzing of issue 17 with more examples than the test suite runs, for its figures.

    .venv/bin/python bench/fuzz.py                 # 20 examples per operation, identity and mode
    .venv/bin/python bench/fuzz.py --examples 50   # more
    DATABASE_URL=postgres://... .venv/bin/python bench/fuzz.py   # on PostgreSQL

It runs tests/api/test_fuzz.py (schemathesis over /api/v1/openapi.json as an administrator, a
read-only token and a client; see tests/support/fuzz.py) in a fresh test database and prints its
summary line: requests generated, operations covered, failures, seconds. Exit status 1 on any
failure (a 5xx answer, or a write by an identity that may not write).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=20)
    args = parser.parse_args()
    env = dict(os.environ, LINKSTAR_FUZZ_EXAMPLES=str(args.examples))
    if "DATABASE_URL" not in os.environ:
        env.pop("REDIS_URL", None)
    with tempfile.TemporaryDirectory(prefix="linkstar-fuzz-") as data_dir:
        env["LINKSTAR_DATA_DIR"] = data_dir
        command = [
            str(ROOT / ".venv" / "bin" / "pytest"),
            "-q",
            "-p",
            "no:xdist",
            "tests/api/test_fuzz.py",
        ]
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    lines = done.stdout.splitlines()
    summary = [line for line in lines if line.startswith("fuzz:")]
    print("\n".join(summary) or done.stdout[-3000:])
    if done.returncode != 0:
        print(done.stdout[-6000:], file=sys.stderr)
    return 0 if done.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
