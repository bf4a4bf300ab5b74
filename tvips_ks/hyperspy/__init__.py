"""HyperSpy and RosettaSciIO interoperability: signals in, signals out.

Everything works on plain dictionaries in RosettaSciIO's plugin convention
(``data``, ``axes``, ``metadata``, ``original_metadata``), so HyperSpy itself
is only needed to build a signal object:

* :mod:`.read`: a dataset as RosettaSciIO's reader dict, or a HyperSpy signal;
* :mod:`.write`: the :func:`tvips_ks.save` arguments a signal implies;
* :mod:`.units`: lengths, reciprocal lengths and times in HyperSpy's unit
  spellings; :mod:`.times`: HyperSpy's date, time and time zone.

The RosettaSciIO plugin itself is :mod:`tvips_ks.rsciio`.
"""

from .read import signal_dict, to_hyperspy
from .write import save_arguments_from_signal

__all__ = ["signal_dict", "to_hyperspy", "save_arguments_from_signal"]
