"""Why a whole file cannot be read. Problems inside one row are ``RowError`` records instead:
those never stop an import, these always do, before the first record is yielded."""

from __future__ import annotations


class ImportFileError(Exception):
    """The file as a whole cannot be imported; the message says why in words a user acts on."""

    def __init__(self, message: str, *, path: str | None = None) -> None:
        self.path = path
        super().__init__(f"{path}: {message}" if path else message)


class EmptyFileError(ImportFileError):
    """The file holds no bytes, or no header row."""


class UnsupportedFileError(ImportFileError):
    """Not a CSV or XLSX file, or one encoded in a way we cannot tell."""


class EncryptedWorkbookError(ImportFileError):
    """A password-protected workbook: Excel stores those as OLE2 (CFB) files, not zips."""


class UnsafeFileError(ImportFileError):
    """A workbook whose declared sizes suggest a zip bomb; refused before any parsing."""
