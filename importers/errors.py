"""Why a whole file cannot be read. Problems inside one row are ``RowError`` records instead:
those never stop an import, these always do, before the first record is yielded."""

from __future__ import annotations


class ImportFileError(Exception):
    """The file as a whole cannot be imported; the message says why in words a user acts on."""

    def __init__(self, message: str, *, path: str | None = None) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}" if path else message)

    def __reduce__(self):
        # Raised in the import worker process and raised again in the importing one: the
        # same class, message and path (the default would pass the prefixed message back).
        return _rebuild, (type(self), self.message, self.path, self.args)


def _rebuild(cls: type[ImportFileError], message: str, path: str | None, args: tuple):
    error = cls(message, path=path)
    error.args = args  # a caller may have reworded it (CsvRows prefixes the path)
    return error


class EmptyFileError(ImportFileError):
    """The file holds no bytes, or no header row."""


class UnsupportedFileError(ImportFileError):
    """Not a CSV or XLSX file, or one encoded in a way we cannot tell."""


class EncryptedWorkbookError(ImportFileError):
    """A password-protected workbook: Excel stores those as OLE2 (CFB) files, not zips."""


class UnsafeFileError(ImportFileError):
    """A workbook whose declared sizes suggest a zip bomb; refused before any parsing."""
