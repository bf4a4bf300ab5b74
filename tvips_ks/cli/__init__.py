"""``tvips-ks``: audit, check and convert TVIPS series from the command line.

    tvips-ks info [PATH]                      series summary (the shipped example without PATH)
    tvips-ks dump PATH [--frames 0:3] [--json]  byte layout, field by field, from the spec
    tvips-ks check PATH...                    validate whole series; exit 0 clean, 1 problems
    tvips-ks convert PATH OUT [options]       to .npy, .zarr, .h5, .blo, .hspy, .mrc, .tif, SMV
    tvips-ks convert PATH... --out-dir D --format F   several series
    tvips-ks preview PATH OUT.png [scan options]  VBF, scan signal, mean/max pattern, beam centre
    tvips-ks inspect [PATH...] [--port N] [--no-browser]  the browser inspector

Scan options mirror ``tvips_ks.open``: ``--scan-shape 64,64`` or ``auto``,
``--scan-start-frame N``, ``--winding x|y``, ``--hysteresis N``, ``--pad``; with
them the calibrations ``--scan-step``, ``--diffraction-pixel``, ``--image-pixel``,
``--camera-length`` (info, convert, preview).

Each command is a thin module here that formats what a library function
returns.  Exit status: 0 success, 1 problems found (``check``), 2 unreadable
input or a bad argument.  Errors are one line on stderr (``tvips-ks: …``),
naming command-line flags, never a traceback (set ``TVIPS_KS_DEBUG=1`` to get
one for an unexpected error).  Progress bars go to stderr, and only when it
is a terminal.
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings

import numpy as np

from .. import __version__
from ..errors import TvipsError
from . import check, convert, dump, info, inspect, preview
from .common import EXIT_ERROR, EXIT_OK, PROG, Parser, UsageError, err, message

__all__ = ["main"]

COMMANDS = (info, dump, check, convert, preview, inspect)


def _parser() -> Parser:
    parser = Parser(prog=PROG, description="Audit, check and convert TVIPS camera series "
                    "(NAME_000.tvips, NAME_001.tvips, …).",
                    epilog="Exit status: 0 ok, 1 problems found (check), 2 unreadable input "
                           "or bad arguments.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def _show_warning(msg, category, filename, lineno, file=None, line=None):
    err(f"warning: {str(msg).strip()}".replace("\n", " "))


def main(argv=None) -> int:
    """Run the ``tvips-ks`` command line; returns the exit status."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except UsageError as error:
        err(f"error: {error}")
        return EXIT_ERROR
    except SystemExit as exit_:  # --help, --version
        return exit_.code if isinstance(exit_.code, int) else EXIT_OK
    if args.command is None:
        names = ", ".join(c.__name__.rsplit(".", 1)[-1] for c in COMMANDS)
        err(f"error: choose a command: {names} (see 'tvips-ks --help')")
        return EXIT_ERROR
    debug = bool(os.environ.get("TVIPS_KS_DEBUG"))
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.showwarning = _show_warning
        # numpy's arithmetic warnings (NaN in a float field, say) are not the user's business
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            return args.func(args)
        except BrokenPipeError:  # e.g. `tvips-ks dump … | head`
            with contextlib.suppress(OSError):
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())
            return EXIT_OK
        except KeyboardInterrupt:
            err("interrupted")
            return 130
        except (TvipsError, OSError) as error:
            if debug:
                raise
            err(message(error))
            return EXIT_ERROR
        except MemoryError:
            if debug:
                raise
            err("out of memory")
            return EXIT_ERROR
        except Exception as error:  # never a traceback for the user
            if debug:
                raise
            err(f"unexpected error: {type(error).__name__}: {message(error)} (set "
                f"TVIPS_KS_DEBUG=1 for a traceback)")
            return EXIT_ERROR
