"""The content-addressed store: one file per content, atomic placement, bounded intake."""

from __future__ import annotations

import hashlib

import pytest

from pim.config import reset_settings
from pim.media.errors import MediaTooLarge
from pim.media.storage import INCOMING, absolute, content_path, place, receive


@pytest.fixture
def root(tmp_path, monkeypatch):
    monkeypatch.setenv("PIM_MEDIA_ROOT", str(tmp_path / "media"))
    reset_settings()
    yield tmp_path / "media"
    reset_settings()


def test_received_bytes_are_hashed_counted_and_placed_under_their_hash(root):
    blob = receive([b"abc", b"def"], max_bytes=100)
    sha = hashlib.sha256(b"abcdef").hexdigest()
    assert (blob.sha256, blob.size) == (sha, 6)
    relative = content_path(sha, ".png")
    assert relative == f"{sha[:2]}/{sha[2:4]}/{sha}.png"
    target = place(blob, relative)
    assert target == root / relative and target.read_bytes() == b"abcdef"
    assert not blob.path.exists()


def test_placing_the_same_content_again_keeps_one_file(root):
    relative = content_path(hashlib.sha256(b"x").hexdigest(), ".gif")
    place(receive([b"x"], max_bytes=10), relative)
    place(receive([b"x"], max_bytes=10), relative)
    assert list(root.rglob("*.gif")) == [root / relative]
    assert list((root / INCOMING).iterdir()) == []


def test_intake_past_the_limit_is_abandoned_and_leaves_no_file(root):
    with pytest.raises(MediaTooLarge, match="larger than 10 bytes"):
        receive([b"12345", b"67890", b"1"], max_bytes=10)
    assert list((root / INCOMING).iterdir()) == []


@pytest.mark.parametrize("relative", ["../etc/passwd", "/etc/passwd", "ab/../../x", ""])
def test_a_stored_path_cannot_leave_the_media_root(root, relative):
    with pytest.raises(ValueError):
        absolute(relative)
