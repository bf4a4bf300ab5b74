"""Files in, files out: series naming, the part table, reading headers and frames, dask
graphs, atomic outputs and the writer.

Data flows one way: a path (:mod:`.naming`) → its parts on disk and their
sizes (:mod:`.parts`, with the main header from :mod:`.files`) → the part
table, which knows where every frame's record is → frame headers
(:mod:`.headers`) and frames (:mod:`.gather`, and :mod:`.daskio` for dask).
"""
