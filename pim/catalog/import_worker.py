"""Reading an import file in a second process while the importing process writes.

Reading rows into records and checking their values costs about as much as writing them,
and both are pure: they need the file and the catalog context, never the database. A big
file is therefore read by a worker process (``python -m pim.catalog.import_worker``, a
fresh interpreter that loads only the importers and the value checks), which opens it
with the same arguments, checks each product's values for the family its row names, just
as ``write_products`` would, and streams the records back in frames through a pipe. The
importing process writes batch k while the worker reads batch k+1; the pipe's buffer is
the only queue, so the worker stays a few frames ahead and memory stays flat.

The importing process decides what counts: it uses the worker's checks only when its own
catalog context and channels equal the worker's, and re-checks any record whose product
ends up in another family. A worker that fails raises in the importing process at the
point the records stop (the batches written before stay written, as when a file turns out
unreadable halfway); the importing process kills a worker it no longer reads from.
"""

from __future__ import annotations

import gc
import os
import pickle
import struct
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any

from importers.errors import ImportFileError
from pim.catalog.values import CheckedValues, FamilyValueChecks
from pim.records import CatalogContext, ProductRecord

WORKER_MIN_BYTES = 1_000_000  # smaller files are read inline: a worker takes ~0.2 s to start
FRAME_RECORDS = 250  # records per message: small enough to keep both processes busy
PIPE_BYTES = 1 << 20  # the pipe's buffer on Linux (default 64 KiB): a few frames of lookahead
_HEADER = struct.Struct("!cI")  # message kind, payload length
_FRAME, _ERROR, _DONE = b"F", b"E", b"D"
# A record travels as its fields in order, then its checked values and their problems.
_RECORD_FIELDS = tuple(f.name for f in fields(ProductRecord))
_CHECKED = len(_RECORD_FIELDS)


class ImportWorkerError(RuntimeError):
    """The worker reading the import file failed or stopped; records it had not sent were
    not imported."""


class CheckedRecord:
    """A product record and its values as the worker checked them."""

    __slots__ = ("record", "checked")

    def __init__(self, record: ProductRecord, checked: CheckedValues | None):
        self.record = record
        self.checked = checked


def worker_can_read(records: Any, *, force: bool = False) -> bool:
    """Whether ``records`` (what ``open_source(...).records()`` returned) can be read by a
    worker instead: product or product model rows, nothing taken from it yet, no SKUs shared
    with other files, and a file big enough (or ``force``)."""
    from importers.source import SourceRecords

    if not isinstance(records, SourceRecords) or records.started:
        return False
    source = records.source
    if source.kind not in ("product", "product_model") or source.seen_skus is not None:
        return False
    return force or source.path.stat().st_size >= WORKER_MIN_BYTES


class WorkerRecords(Iterator[Any]):
    """The records of one import source, read by a worker process. Yields ``RowError``,
    ``ProductRecord`` (product models) and ``CheckedRecord`` (products) in file order.

    Use as a context manager (or call ``close``): leaving it stops the worker."""

    def __init__(self, source_args: dict[str, Any], *, frame_records: int = FRAME_RECORDS):
        self.context: CatalogContext = source_args["context"]
        self.channels: frozenset[str] = frozenset(source_args["channels"])
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())
        root = str(Path(__file__).resolve().parents[2])
        env = {**os.environ,
               "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
        self._process = subprocess.Popen(
            [sys.executable, "-m", "pim.catalog.import_worker"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=self._stderr, env=env)
        _grow_pipe(self._process.stdout)
        job = {"source": {**source_args, "channels": self.channels},
               "frame_records": frame_records}
        try:
            self._process.stdin.write(_dumps(job))
            self._process.stdin.close()
        except BrokenPipeError:
            pass  # the worker died at once: reading says why
        self._items = self._read()

    def __next__(self) -> Any:
        return next(self._items)

    def __enter__(self) -> WorkerRecords:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        self._items.close()
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        self._process.stdout.close()
        self._stderr.close()

    def _read(self) -> Iterator[Any]:
        stream = self._process.stdout
        while True:
            header = stream.read(_HEADER.size)
            if len(header) < _HEADER.size:
                raise self._stopped()
            kind, length = _HEADER.unpack(header)
            payload = stream.read(length)
            if len(payload) < length:
                raise self._stopped()
            if kind == _DONE:
                return
            if kind == _ERROR:
                raise self._failed(payload)
            for item in pickle.loads(payload):
                if item.__class__ is tuple:  # a record, its fields in order (see _encode)
                    record = ProductRecord(*item[:_CHECKED])
                    if record.kind == "product":
                        item = CheckedRecord(record, CheckedValues(
                            record.family, item[_CHECKED], item[_CHECKED + 1]))
                    else:
                        item = record
                yield item

    def _stopped(self) -> ImportWorkerError:
        status = self._process.wait()
        return ImportWorkerError(f"the import worker reading the file stopped unexpectedly "
                                 f"(exit status {status}){self._output()}")

    def _failed(self, payload: bytes) -> BaseException:
        try:
            error = pickle.loads(payload)
        except Exception as unreadable:
            error = f"{unreadable!r}"
        if isinstance(error, ImportFileError):
            return error  # the file cannot be read: the same error as reading it here
        if isinstance(error, BaseException):
            error = f"{type(error).__name__}: {error}"
        self._process.wait()
        return ImportWorkerError(f"the import worker failed: {error}{self._output()}")

    def _output(self) -> str:
        """The end of what the worker wrote to stderr (a traceback, say)."""
        self._stderr.seek(0)
        output = self._stderr.read().decode(errors="replace").strip()
        return f"\n{output[-4000:]}" if output else ""


def _grow_pipe(stream) -> None:
    try:
        import fcntl

        fcntl.fcntl(stream.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    except (ImportError, AttributeError, OSError):
        pass  # not Linux, or over the system's limit: the default buffer works, less ahead


# --- the worker process ----------------------------------------------------------------


def _encode(item: Any, checks: FamilyValueChecks) -> Any:
    if item.__class__ is not ProductRecord:
        return item  # row errors travel as they are
    fields = tuple(getattr(item, name) for name in _RECORD_FIELDS)
    if item.kind != "product":
        return (*fields, None, None)
    checked = checks.check(item.family, item.values)
    return (*fields, checked.values, checked.problems)


def _send(out, kind: bytes, payload: bytes) -> None:
    out.write(_HEADER.pack(kind, len(payload)))
    out.write(payload)


def run_worker(job: dict[str, Any], out) -> None:
    """Read the job's source and write its records to ``out`` in frames."""
    from importers import open_source

    frame: list[Any] = []
    try:
        source = open_source(**job["source"])
        checks = FamilyValueChecks(source.context, source.channels)
        frame_records = job["frame_records"]
        for item in source.records():
            frame.append(_encode(item, checks))
            if len(frame) >= frame_records:
                _send(out, _FRAME, _dumps(frame))
                frame = []
    except BrokenPipeError:
        raise
    except Exception as error:
        # Raised in the importing process after the records read before it, as if it had
        # read the file itself; a bug's traceback goes to stderr, which it reports.
        if not isinstance(error, ImportFileError):
            traceback.print_exc()
        if frame:
            _send(out, _FRAME, _dumps(frame))
        _send(out, _ERROR, _dumps_error(error))
    else:
        if frame:
            _send(out, _FRAME, _dumps(frame))
        _send(out, _DONE, b"")
    out.flush()


def _dumps(value: Any) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def _dumps_error(error: Exception) -> bytes:
    try:
        payload = _dumps(error)
        pickle.loads(payload)
    except Exception:  # not rebuildable in the importing process: its text will do
        return _dumps(f"{type(error).__name__}: {error}")
    return payload


def main() -> None:
    out = sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing printed by accident may corrupt the frames
    # Records live one frame long: the young generation is enough (see fewer_collections).
    gc.set_threshold(50_000, *gc.get_threshold()[1:])
    job = pickle.load(sys.stdin.buffer)
    try:
        run_worker(job, out)
    except BrokenPipeError:  # the importing process stopped reading: nothing to tell it
        os._exit(0)


if __name__ == "__main__":
    main()
