"""Media in imports: files from the media folder are stored as assets, URLs are fetched by a
download job after the batch commits, and a bad media cell is a row warning, not a failure."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from pim.catalog.read import get_product
from pim.db import read_session
from pim.history.models import HistoryEntry
from pim.jobs import run_inline
from pim.jobs.embedded import EmbeddedRunner
from pim.jobs.models import Job
from pim.media.models import Asset
from pim.media.storage import absolute
from tests.unit.media import samples


@pytest.fixture
def catalog(demo_structure):
    return demo_structure


@pytest.fixture
def media_folder(tmp_path):
    folder = tmp_path / "supplier-media"
    (folder / "photos").mkdir(parents=True)
    return folder


def import_csv(tmp_path, rows: str, media_root=None, **payload):
    path = tmp_path / "products.csv"
    path.write_text("sku,family,brand,image\n" + rows, encoding="utf-8")
    job = run_inline("import", {"path": str(path), "media_root": media_root and str(media_root),
                                **payload}, created_by="importer", show_progress=False)
    assert job.status == "succeeded", job.error
    return job


def warnings_of(job) -> list[dict]:
    return json.loads(open(job.result["report_path"]).read())["warnings"]


def image_of(sku: str):
    with read_session() as session:
        values = get_product(session, sku)["values"]
    return values["image"][0]["data"] if "image" in values else None


def download_jobs() -> list[tuple[str, dict]]:
    with read_session() as session:
        return [(status, payload) for status, payload in session.execute(
            select(Job.status, Job.payload).where(Job.kind == "media_download"))]


def asset_count() -> int:
    with read_session() as session:
        return len(session.scalars(select(Asset.sha256)).all())


def test_a_file_from_the_media_folder_is_stored_and_referenced(catalog, tmp_path,
                                                               media_folder):
    content = samples.jpeg(20, 10)
    (media_folder / "photos" / "el-1.jpg").write_bytes(content)
    import_csv(tmp_path, "EL-1,electronics,Voltia,photos/el-1.jpg\n", media_folder)
    path = image_of("EL-1")
    assert path != "photos/el-1.jpg" and path.endswith(".jpg")
    assert absolute(path).read_bytes() == content
    assert download_jobs() == []


def test_importing_the_same_media_again_changes_nothing(catalog, tmp_path, media_folder):
    (media_folder / "photos" / "el-1.png").write_bytes(samples.png())
    import_csv(tmp_path, "EL-1,electronics,Voltia,photos/el-1.png\n", media_folder)
    again = import_csv(tmp_path, "EL-1,electronics,Voltia,photos/el-1.png\n", media_folder)
    assert (again.result["unchanged"], again.result["updated"]) == (1, 0)
    assert asset_count() == 1


def test_a_missing_media_file_is_a_row_warning(catalog, tmp_path, media_folder):
    job = import_csv(tmp_path, "EL-1,electronics,Voltia,photos/nowhere.jpg\n", media_folder)
    assert (job.result["created"], job.result["error_count"]) == (1, 0)
    [warning] = warnings_of(job)
    assert warning["row"] == 2 and "not found" in warning["message"]
    assert image_of("EL-1") is None


def test_a_media_file_that_is_not_an_image_is_a_row_warning(catalog, tmp_path, media_folder):
    (media_folder / "photos" / "el-1.jpg").write_bytes(samples.HTML)
    job = import_csv(tmp_path, "EL-1,electronics,Voltia,photos/el-1.jpg\n", media_folder)
    assert (job.result["created"], job.result["error_count"]) == (1, 0)
    [warning] = warnings_of(job)
    assert (warning["row"], warning["column"]) == (2, "image")
    assert "not imported" in warning["message"] and "JPEG, PNG" in warning["message"]
    assert image_of("EL-1") is None and asset_count() == 0
    with read_session() as session:
        assert get_product(session, "EL-1")["values"]["brand"][0]["data"] == "Voltia"


def test_a_url_is_fetched_by_a_download_job_after_the_import(catalog, tmp_path, allow_local,
                                                             media_server):
    url = media_server.serve("/el-1.png", samples.png(9, 9))
    job = import_csv(tmp_path, f"EL-1,electronics,Voltia,{url}\n")
    assert image_of("EL-1") == url
    [(status, payload)] = download_jobs()
    assert status == "queued"
    assert payload == {"url": url, "sku": "EL-1", "attribute": "image", "locale": None,
                       "scope": None, "kind": "product", "source": f"import:{job.id}"}

    EmbeddedRunner(workers=1, poll_interval=0.05).run_until_idle()
    assert [status for status, _ in download_jobs()] == ["succeeded"]
    with read_session() as session:
        asset = session.scalars(select(Asset)).one()
        sources = session.scalars(select(HistoryEntry.source).where(
            HistoryEntry.code == "EL-1").order_by(HistoryEntry.id)).all()
        assert image_of("EL-1") == asset.path and asset.source_url == url
    assert sources == [f"import:{job.id}", f"import:{job.id}"]


def test_reimporting_a_fetched_url_changes_nothing_and_fetches_nothing(
        catalog, tmp_path, allow_local, media_server):
    url = media_server.serve("/el-1.png", samples.png())
    import_csv(tmp_path, f"EL-1,electronics,Voltia,{url}\n")
    EmbeddedRunner(workers=1, poll_interval=0.05).run_until_idle()
    again = import_csv(tmp_path, f"EL-1,electronics,Voltia,{url}\n")
    assert (again.result["unchanged"], again.result["updated"]) == (1, 0)
    assert len(download_jobs()) == 1 and media_server.requested == ["/el-1.png"]



@pytest.mark.parametrize("read_in_worker", [False, True])
def test_media_cells_resolve_the_same_when_a_worker_process_reads_the_file(
        catalog, tmp_path, media_folder, read_in_worker):
    """The media hook says which values it rewrites (the media attributes), so the import
    worker's checks and the products it makes hold for the other rows: same outcome either
    way."""
    from importers import open_source
    from pim.catalog.importing import apply_import
    from pim.catalog.structure import load_context
    from pim.db import session_factory
    from pim.media.importing import ImportMedia
    from pim.workflow.models import Channel

    content = samples.jpeg(12, 8)
    (media_folder / "photos" / "el-1.jpg").write_bytes(content)
    path = tmp_path / "products.csv"
    path.write_text("sku,family,brand,image\n"
                    "EL-1,electronics,Voltia,photos/el-1.jpg\n"
                    "EL-NEW,electronics,Ampere,\n"
                    "EL-2,electronics,Voltia,photos/missing.jpg\n", encoding="utf-8")
    factory = session_factory()
    with factory() as session:
        context = load_context(session)
        channels = set(session.scalars(Channel.__table__.select().with_only_columns(
            Channel.code)))
    hook = ImportMedia(media_folder, source="import:test", actor="importer")
    report = apply_import(factory, open_source(path, context=context, channels=channels,
                                               media_root=media_folder).records(),
                          source="import:test", actor="importer", hook=hook,
                          read_in_worker=read_in_worker)

    assert report.error_count == 0
    assert [(w["row"], w["column"]) for w in report.warnings] == [(4, "image")]
    assert absolute(image_of("EL-1")).read_bytes() == content
    assert image_of("EL-2") is None
    with read_session() as session:
        assert get_product(session, "EL-NEW")["values"]["brand"][0]["data"] == "Ampere"
        assert get_product(session, "EL-2")["values"]["brand"][0]["data"] == "Voltia"
