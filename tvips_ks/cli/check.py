"""``tvips-ks check PATH...``: validate whole series; exit 0 clean, 1 problems, 2 unreadable."""

from __future__ import annotations

import sys

from ..audit.check import check_series
from ..errors import TvipsError
from .common import EXIT_ERROR, EXIT_OK, EXIT_PROBLEMS, cli_text, err, message, nonneg_int, out


def add_parser(sub):
    p = sub.add_parser("check", help="validate whole series (exit 0 clean, 1 problems)",
                       description="Validate series: the main header, part numbering, stale "
                       "parts, whole records per part, a partial trailing record, counter "
                       "continuity, monotonic timestamps and rotator-index sanity. One line "
                       "per problem, 'PATH: problem'. Exit status 0 clean, 1 problems found, "
                       "2 unreadable.")
    p.add_argument("paths", nargs="+", metavar="PATH", help="any part of each series")
    p.add_argument("--max-per-kind", type=nonneg_int, default=20, metavar="N",
                   help="problems listed per kind and series (default 20)")
    p.add_argument("--all", action="store_true", help="list every problem")
    p.add_argument("-q", "--quiet", action="store_true", help="no line for a clean series")
    p.set_defaults(func=run)


def run(args) -> int:
    status = EXIT_OK
    for path in args.paths:
        try:
            res = check_series(path, max_per_kind=None if args.all else args.max_per_kind)
        except (TvipsError, OSError) as error:
            err(message(error))
            status = EXIT_ERROR
            continue
        for problem in res.problems:
            out(cli_text(str(problem)))
        for kind, n in res.omitted.items():
            out(f"{res.path}: … and {n} more {kind} problem(s) (--all lists every one)")
        if res.ok:
            if not args.quiet:
                out(f"{res.path}: ok ({res.num_frames} frames in {len(res.parts)} part(s))")
        elif status == EXIT_OK:
            status = EXIT_PROBLEMS
        sys.stdout.flush()
    return status
