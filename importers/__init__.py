"""Pure importers: a source in, a stream of normalized records and row errors out.

    from importers import open_source, load_profile

    source = open_source("products.xlsx", context=catalog_context, channels={"webshop"},
                         profile=load_profile("supplier.yaml"), media_root="uploads/")
    for item in source.records():   # ProductRecord | StructureRecord | RowError
        ...

``iter_akeneo_catalog(directory)`` reads a whole Akeneo CSV export in dependency order.
"""

from importers.akeneo import iter_akeneo_catalog
from importers.errors import (
    EmptyFileError,
    EncryptedWorkbookError,
    ImportFileError,
    UnsafeFileError,
    UnsupportedFileError,
)
from importers.profile import ColumnMapping, ColumnTransforms, MappingProfile, load_profile
from importers.source import ImportRecord, ImportSource, open_source

__all__ = [
    "ColumnMapping",
    "ColumnTransforms",
    "EmptyFileError",
    "EncryptedWorkbookError",
    "ImportFileError",
    "ImportRecord",
    "ImportSource",
    "MappingProfile",
    "UnsafeFileError",
    "UnsupportedFileError",
    "iter_akeneo_catalog",
    "load_profile",
    "open_source",
]
