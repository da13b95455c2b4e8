"""CSV export (GET /export/csv, SPEC §5): rows flow storage → export → api.

cells.py is the one definition of how a cell looks (presets, zones, numbers, booleans); the two
encoders write those cells inside the database, each for its dialect: postgres.py as a COPY query,
sqlite.py as SELECT expressions formatted by `str.format`; tests/history/csvref.py formats rows
with cells.py alone, and the tests hold both encoders to it byte for byte. stream.py turns query
values into options and an encoder's chunks into the response body; filenames.py names the file.
Storage does not import this package: it offers raw primitives (storage/bulk.py).
"""
