"""What storing media can refuse: too many bytes (413) or content of a type the hub does not
keep (415). Both are domain errors, so the API answers them as problem+json and an import
reports them as row warnings."""

from __future__ import annotations

from pim.errors import DomainError


class MediaTooLarge(DomainError):
    status = 413
    title = "Content too large"


class UnsupportedMedia(DomainError):
    status = 415
    title = "Unsupported media type"
