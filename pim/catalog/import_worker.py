"""Reading an import file in a second process while the importing process writes.

Reading rows into records and checking their values costs about as much as writing them,
and both are pure: they need the file and the catalog context, never the database. A big
file is therefore read by a worker process (``python -m pim.catalog.import_worker``, a
fresh interpreter that loads only the importers and the value checks), which opens it
with the same arguments, checks each product's values for the family its row names, just
as ``write_products`` would, and streams the records back in frames through a pipe. The
importing process writes batch k while the worker reads batch k+1 and on, up to three
batches ahead (``BACKLOG_FRAMES``), so memory stays flat.

Whichever process is behind gets less to do: while frames wait to be read, the worker also
makes the products the records create (state, search text and JSON columns, see
``CreatedProduct``), which the importing process would otherwise make itself.

The importing process decides what counts: it uses the worker's checks only when its own
catalog context and channels equal the worker's, re-checks any record whose product ends
up in another family, and uses a made product only if the SKU is not stored. A worker that
fails raises in the importing process at the point the records stop (the batches written
before stay written, as when a file turns out unreadable halfway); the importing process
kills a worker it no longer reads from.
"""

from __future__ import annotations

import gc
import os
import pickle
import queue
import struct
import subprocess
import sys
import tempfile
import threading
import traceback
from collections.abc import Generator, Iterator
from dataclasses import fields
from pathlib import Path
from typing import IO, Any

from importers import open_source
from importers.errors import ImportFileError
from importers.source import ImportSource, SourceRecords
from pim.catalog.state import CreatedProduct, created_product, json_text
from pim.catalog.values import VALUES_NOT_SENT, CheckedValues, FamilyValueChecks
from pim.records import CatalogContext, ProductRecord

WORKER_MIN_BYTES = 1_000_000  # smaller files are read inline: a worker takes ~0.2 s to start
FRAME_RECORDS = 100  # records per message: small enough to keep both processes busy
# When the worker makes products (CreatedProduct): "when behind" (BEHIND_FRAMES or more
# frames wait to be read), or "always" / "never" (tests).
MAKE_PRODUCTS = "when behind"
BACKLOG_FRAMES = 30  # frames read ahead at most (three batches of the default size)
# Frames waiting that say the importing process is behind: nearly all of them, so the
# worker makes products only when it would otherwise soon wait. The importing process
# takes a batch (ten frames) at once and a checkpoint can hold it up, so the backlog swings
# widely; at 3 the worker made three products in four and kept the importing process
# waiting (100k CSV, three runs each: 9,360-9,670 products/s at 3, 9,970-10,120 at 28).
BEHIND_FRAMES = BACKLOG_FRAMES - 2
PIPE_BYTES = 1 << 20  # the pipe's buffer on Linux (default 64 KiB): a few frames of lookahead
_HEADER = struct.Struct("!cI")  # message kind, payload length
_FRAME, _ERROR, _DONE = b"F", b"E", b"D"
# A checked product travels as its fields in order (values: None when not sent), then its
# checked values, their problems and what it creates (CheckedValues.created).
_RECORD_FIELDS = tuple(f.name for f in fields(ProductRecord))
_VALUES = _RECORD_FIELDS.index("values")
_CHECKED = len(_RECORD_FIELDS)


class ImportWorkerError(RuntimeError):
    """The worker reading the import file failed or stopped; records it had not sent were
    not imported."""


class CheckedRecord:
    """A product record and its values as the worker checked them.

    The record's ``values`` are the row's values as read when the importing process asked
    for them (``read_values``) or the row names no family; otherwise ``VALUES_NOT_SENT``:
    ``write_products`` reads a record's values only to check them against another family
    than the row's, which a row naming its family never needs."""

    __slots__ = ("record", "checked")

    def __init__(self, record: ProductRecord, checked: CheckedValues | None):
        self.record = record
        self.checked = checked


def worker_can_read(records: Any, *, force: bool = False) -> bool:
    """Whether ``records`` (what ``open_source(...).records()`` returned) can be read by a
    worker instead: product or product model rows, nothing taken from it yet, no SKUs shared
    with other files, and a file big enough (or ``force``)."""
    if not isinstance(records, SourceRecords) or records.started:
        return False
    source = records.source
    if source.kind not in ("product", "product_model") or source.seen_skus is not None:
        return False
    return force or source.path.stat().st_size >= WORKER_MIN_BYTES


class WorkerRecords(Iterator[Any]):
    """The records of one import source, read by a worker process. Yields ``RowError``,
    ``ProductRecord`` (product models, and products when not ``check_values``) and
    ``CheckedRecord`` (products) in file order.

    ``check_values``: check product values (for the file's context and channels, which
    the caller found equal to the catalog's). ``read_values``: which products' values to
    send as read besides those of rows naming no family (see ``CheckedRecord``): every
    product's (True), those giving a value of one of a set of attributes (the ones a batch
    hook may rewrite; sending and decoding every row's values cost a quarter of the
    importing process's time), or none (False).
    ``make_products``: also make the products the records create (``CreatedProduct``) while
    this process is behind (frames wait to be read); while it waits for frames, it makes
    them itself: the two processes share the work, whichever has more time (or a core to
    itself) doing more.
    ``data_rows``: the file's data rows as the worker's reader counted them
    (``ImportSource.data_rows``), once every record came; None before.
    Use as a context manager (or call ``close``): leaving it stops the worker."""

    def __init__(self, source_args: dict[str, Any], *, check_values: bool = True,
                 read_values: bool | frozenset[str] = True, make_products: bool = True,
                 frame_records: int = FRAME_RECORDS):
        self.check_values = check_values
        self.data_rows: int | None = None
        channels = frozenset(source_args["channels"])
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())
        root = str(Path(__file__).resolve().parents[2])
        env = {**os.environ,
               "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "pim.catalog.import_worker"], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=self._stderr, env=env)
        except OSError:
            self._stderr.close()
            raise
        self._stdin, self._stdout = _pipe(self._process.stdin), _pipe(self._process.stdout)
        _grow_pipe(self._stdout)
        job = {"source": {**source_args, "channels": channels}, "check_values": check_values,
               "read_values": read_values,
               "make_products": MAKE_PRODUCTS if make_products else "never",
               "frame_records": frame_records, "behind_frames": BEHIND_FRAMES}
        try:
            self._stdin.write(_dumps(job))
            self._stdin.close()
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
        self._stdout.close()
        self._stderr.close()

    def _read(self) -> Generator[Any, None, None]:
        stream = self._stdout
        while True:
            header = stream.read(_HEADER.size)
            if len(header) < _HEADER.size:
                raise self._stopped()
            kind, length = _HEADER.unpack(header)
            payload = stream.read(length)
            if len(payload) < length:
                raise self._stopped()
            if kind == _DONE:
                self.data_rows = pickle.loads(payload)
                return
            if kind == _ERROR:
                raise self._failed(payload)
            for item in pickle.loads(payload):
                if item.__class__ is tuple:  # a checked product (see _encode)
                    record = ProductRecord(*item[:_CHECKED])
                    if record.values is None:
                        record.values = VALUES_NOT_SENT
                    created = item[_CHECKED + 2]
                    item = CheckedRecord(record, CheckedValues(
                        record.family, None, item[_CHECKED + 1],
                        CreatedProduct(*created) if created is not None else None,
                        values_json=item[_CHECKED]))
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


def _pipe(stream: IO[bytes] | None) -> IO[bytes]:
    if stream is None:  # never: the worker is started with both pipes
        raise ImportWorkerError("the import worker was started without its pipes")
    return stream


def _grow_pipe(stream: IO[bytes]) -> None:
    try:
        import fcntl  # Unix only: imported where it is used, in this try

        fcntl.fcntl(stream.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    except (ImportError, AttributeError, OSError):
        pass  # not Linux, or over the system's limit: the default buffer works, less ahead


# --- the worker process ----------------------------------------------------------------


def _encode(item: Any, checks: FamilyValueChecks | None, read_values: bool | frozenset[str],
            make_product: bool) -> Any:
    if item.__class__ is not ProductRecord or item.kind != "product" or checks is None:
        return item  # row errors, product models and unchecked products travel as they are
    checked = checks.check(item.family, item.values)
    fields = [getattr(item, name) for name in _RECORD_FIELDS]
    if item.family is not None and read_values is not True and (
            not read_values or read_values.isdisjoint(item.values)):
        fields[_VALUES] = None
    created = _created(item, checked, checks.context) if make_product else None
    return (*fields, json_text(checked.values), checked.problems, created)


def _created(record: ProductRecord, checked: CheckedValues, context: CatalogContext):
    """``created_product``'s fields, to travel as a tuple (or None)."""
    created = created_product(record, checked, context)
    if created is None:
        return None
    return created.head, created.values_json, created.state_json


def _send(out, kind: bytes, payload: bytes) -> None:
    out.write(_HEADER.pack(kind, len(payload)))
    out.write(payload)
    out.flush()


class _FrameWriter:
    """Frames written by a thread, so reading goes on while the importing process writes a
    batch to the database instead of reading (the pipe holds a few frames; a batch is ten).
    ``backlog``, the frames waiting, tells which process is behind: frames pile up while
    the importing process is, and none wait while it waits for them."""

    def __init__(self, out, max_frames: int):
        self.out = out
        self.frames: queue.Queue[tuple[bytes, bytes] | None] = queue.Queue(max_frames)
        self.thread = threading.Thread(target=self._write, name="frame-writer", daemon=True)
        self.thread.start()

    def send(self, kind: bytes, payload: bytes) -> None:
        self.frames.put((kind, payload))  # waits while max_frames are queued

    def backlog(self) -> int:
        return self.frames.qsize()

    def close(self) -> None:
        self.frames.put(None)
        self.thread.join()

    def _write(self) -> None:
        while (frame := self.frames.get()) is not None:
            try:
                _send(self.out, *frame)
            except (BrokenPipeError, ValueError):  # the importing process stopped reading
                os._exit(0)


def run_worker(job: dict[str, Any], out) -> None:
    """Read the job's source and write its records to ``out`` in frames."""
    writer = _FrameWriter(out, BACKLOG_FRAMES)
    frame: list[Any] = []
    try:
        source = open_source(**job["source"])
        if not isinstance(source, ImportSource):  # never: only convention files come here
            raise TypeError(f"the import worker reads convention files, not {source!r}")
        checks = (FamilyValueChecks(source.context, source.channels) if job["check_values"]
                  else None)
        read_values, frame_records = job["read_values"], job["frame_records"]
        make_products = job["make_products"]
        make_product = make_products == "always"  # "when behind": it starts out waiting
        for item in source.records():
            frame.append(_encode(item, checks, read_values, make_product))
            if len(frame) >= frame_records:
                writer.send(_FRAME, _dumps(frame))
                frame = []
                if make_products == "when behind":
                    make_product = writer.backlog() >= job["behind_frames"]
    except Exception as error:
        # Raised in the importing process after the records read before it, as if it had
        # read the file itself; a bug's traceback goes to stderr, which it reports.
        if not isinstance(error, ImportFileError):
            traceback.print_exc()
        if frame:
            writer.send(_FRAME, _dumps(frame))
        writer.send(_ERROR, _dumps_error(error))
    else:
        if frame:
            writer.send(_FRAME, _dumps(frame))
        writer.send(_DONE, _dumps(source.data_rows))
    writer.close()


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
    run_worker(job, out)


if __name__ == "__main__":
    main()
