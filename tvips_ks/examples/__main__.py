"""Regenerate the example series in place: ``python -m tvips_ks.examples``."""

from pathlib import Path

from . import make_example

for path in make_example(Path(__file__).parent, overwrite=True):
    print(path)
