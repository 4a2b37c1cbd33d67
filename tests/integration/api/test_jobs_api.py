"""Jobs over the API: an uploaded import and an export run as jobs, their progress, report
and file; listing, cancelling, and who may do what."""

from __future__ import annotations

import io
import zipfile

import pytest

from pim.db import session_scope
from pim.jobs.embedded import EmbeddedRunner
from pim.publishing.models import Snapshot

JOBS = "/api/v1/jobs"
# Rows are numbered as a spreadsheet shows them (the header is row 1): IMP-2, row 3, has an
# EAN with a wrong check digit.
CSV = ("sku,family,name-en_GB,ean,brand\n"
       "IMP-1,electronics,Speaker,5012345678900,Voltia\n"
       "IMP-2,electronics,Radio,5012345678901,Voltia\n"
       "IMP-3,electronics,Lamp,,Voltia\n")


def run_queued_jobs() -> None:
    """What ``pim worker --burst`` does: run every due job here, then return."""
    EmbeddedRunner(workers=1, poll_interval=0.05).run_until_idle()


def upload(client, world, role="editor", *, name="products.csv", content=CSV, **form):
    return client.post(f"{JOBS}/imports", headers=world.auth(role), data=form,
                       files={"file": (name, content.encode(), "text/csv")})


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return response.json()


@pytest.fixture
def published(world):
    with session_scope() as session:
        for sku in ("EL-1", "EL-2"):
            session.add(Snapshot(channel_code="webshop-uk", locale="en_GB", sku=sku, version=1,
                                 product_version=1, payload={"sku": sku, "title": f"{sku} title"},
                                 sha256="x" * 64, withdrawn=False))


def test_an_uploaded_csv_is_queued_as_an_import_job(client, world):
    response = upload(client, world)

    assert response.status_code == 202, response.text
    job = response.json()
    assert (job["kind"], job["status"], job["created_by"]) == ("import", "queued",
                                                               "editor@pim.test")
    assert response.headers["location"] == f"{JOBS}/{job['id']}"
    assert job["payload"]["path"] == "products.csv"  # no server path leaves the API
    assert job["links"]["cancel"] == f"{JOBS}/{job['id']}/cancel"


def test_the_import_job_imports_the_good_rows_and_reports_the_bad_one(client, world):
    job_id = upload(client, world).json()["id"]

    run_queued_jobs()

    job = client.get(f"{JOBS}/{job_id}", headers=world.auth("viewer")).json()
    assert job["status"] == "succeeded" and job["progress_done"] == 3
    assert (job["result"]["created"], job["result"]["refused"]) == (2, 1)
    assert "report_path" not in job["result"]
    assert job["links"]["report"] == f"{JOBS}/{job_id}/report"
    report = client.get(job["links"]["report"], headers=world.auth("viewer")).json()
    assert (report["job_id"], report["rows"], report["error_count"]) == (job_id, 3, 1)
    [error] = report["errors"]
    assert (error["row"], error["column"], error["sku"]) == (3, "ean", "IMP-2")
    assert "check digit" in error["message"]
    product = client.get("/api/v1/products/IMP-1", headers=world.auth("viewer")).json()
    assert product["values"]["name"][0]["data"] == "Speaker"
    assert client.get("/api/v1/products/IMP-3", headers=world.auth("viewer")).status_code == 200
    assert client.get("/api/v1/products/IMP-2", headers=world.auth("viewer")).status_code == 404
    history = client.get("/api/v1/products/IMP-1/history", headers=world.auth("viewer")).json()
    assert history[0]["source"] == f"import:{job_id}"


@pytest.mark.parametrize("format", ["magento", None])
def test_an_import_job_takes_the_files_format(client, world, reference_dir, format):
    content = (reference_dir / "magento" / "catalog_product.csv").read_text(encoding="utf-8")
    form = {"format": format} if format else {}
    job_id = upload(client, world, name="catalog_product.csv", content=content,
                    **form).json()["id"]

    run_queued_jobs()

    job = client.get(f"{JOBS}/{job_id}", headers=world.auth("viewer")).json()
    assert job["status"] == "succeeded", job
    assert job["result"]["created"] == 6 and job["result"]["read_as"].startswith("Magento CSV")
    report = client.get(job["links"]["report"], headers=world.auth("viewer")).json()
    assert report["read_as"]["layout"] == "magento"


def test_an_import_job_refuses_an_unknown_format(client, world):
    response = upload(client, world, format="excel")
    assert response.status_code == 400, response.text
    assert "format" in response.text


def test_an_aborted_import_fails_the_job_and_still_has_a_report(client, world):
    job_id = upload(client, world, on_error="abort").json()["id"]

    run_queued_jobs()

    job = client.get(f"{JOBS}/{job_id}", headers=world.auth("editor")).json()
    assert job["status"] == "failed" and "import aborted at row 3" in job["error"]
    assert "Traceback" not in job["error"] and "/var/" not in job["error"]
    report = client.get(f"{JOBS}/{job_id}/report", headers=world.auth("editor")).json()
    assert report["aborted"] is True and report["errors"][0]["row"] == 3
    assert client.get("/api/v1/products/IMP-1", headers=world.auth("viewer")).status_code == 404


def test_a_dry_run_import_job_reports_what_it_would_do_and_writes_nothing(client, world):
    # On SQLite the dry run holds the one write lock throughout: its progress must wait for
    # the end instead of failing the job on a locked database.
    job_id = upload(client, world, dry_run="true").json()["id"]

    run_queued_jobs()

    job = client.get(f"{JOBS}/{job_id}", headers=world.auth("editor")).json()
    assert job["status"] == "succeeded", job["error"]
    assert job["progress_done"] == 3
    assert (job["result"]["created"], job["result"]["refused"]) == (2, 1)
    report = client.get(f"{JOBS}/{job_id}/report", headers=world.auth("editor")).json()
    assert report["dry_run"] is True and report["errors"][0]["row"] == 3
    assert client.get("/api/v1/products/IMP-1", headers=world.auth("viewer")).status_code == 404


def test_a_mapping_profile_is_sent_as_yaml_text(client, world):
    profile = "columns:\n  Article: sku\nconstants:\n  family: electronics\n"
    csv = "Article,ean\nIMP-9,5012345678900\n"

    job_id = upload(client, world, content=csv, profile=profile).json()["id"]
    run_queued_jobs()

    assert client.get(f"{JOBS}/{job_id}", headers=world.auth("editor")).json()["status"] \
        == "succeeded"
    assert client.get("/api/v1/products/IMP-9", headers=world.auth("viewer")).status_code == 200


def test_a_profile_that_is_not_a_profile_is_refused_naming_the_field(client, world):
    body = problem(upload(client, world, profile="columns: [1, 2"), 422)

    assert body["errors"][0]["field"] == "profile"
    listed = client.get(JOBS, params={"kind": "import"}, headers=world.auth("admin")).json()
    assert listed["items"] == []


def test_a_file_that_is_not_a_spreadsheet_or_is_empty_is_refused(client, world):
    wrong = problem(upload(client, world, name="products.pdf"), 422)
    empty = problem(upload(client, world, content=""), 422)

    assert wrong["errors"][0]["field"] == "file" and "products.pdf" in wrong["detail"]
    assert empty["errors"][0]["field"] == "file" and "empty" in empty["detail"]


def test_an_upload_announced_larger_than_the_limit_is_refused_with_413(client, world):
    from pim.config import get_settings

    response = client.post(f"{JOBS}/imports", content=b"x" * 10, headers={
        **world.auth("editor"), "content-type": "multipart/form-data; boundary=x",
        "content-length": str(get_settings().api_max_upload_bytes + 1)})

    assert problem(response, 413)["status"] == 413


def catalog_zip(reference_dir, prefix: str = "") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in ("locales.csv", "channels.csv", "currencies.csv", "attribute_groups.csv",
                     "attributes.csv", "attribute_options.csv", "families.csv"):
            archive.write(reference_dir / "akeneo-icecat" / name, prefix + name)
    return buffer.getvalue()


def test_an_akeneo_export_uploaded_as_a_zip_is_imported(client, world, reference_dir):
    response = client.post(f"{JOBS}/catalog-imports", headers=world.auth("editor"), files={
        "file": ("export.zip", catalog_zip(reference_dir, "export/"), "application/zip")})
    assert response.status_code == 202, response.text

    run_queued_jobs()

    job = client.get(response.headers["location"], headers=world.auth("editor")).json()
    assert (job["kind"], job["status"]) == ("import_catalog", "succeeded"), job
    assert job["result"]["structure_changed"] > 0
    families = client.get("/api/v1/families", headers=world.auth("viewer")).json()
    assert "webcams" in str(families)


def test_a_zip_with_a_path_out_of_its_folder_is_refused(client, world):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../attributes.csv", "code,type\n")

    response = client.post(f"{JOBS}/catalog-imports", headers=world.auth("admin"), files={
        "file": ("export.zip", buffer.getvalue(), "application/zip")})

    assert "unsafe path" in problem(response, 422)["detail"]


def test_an_export_of_published_data_is_downloaded_as_a_file(client, world, published):
    response = client.post(f"{JOBS}/exports", headers=world.auth("editor"),
                           json={"channel": "webshop-uk", "format": "csv"})
    assert response.status_code == 202, response.text
    job_id = response.json()["id"]

    run_queued_jobs()

    job = client.get(f"{JOBS}/{job_id}", headers=world.auth("editor")).json()
    assert job["status"] == "succeeded" and job["links"]["file"] == f"{JOBS}/{job_id}/file"
    download = client.get(job["links"]["file"], headers=world.auth("editor"))
    assert download.status_code == 200
    assert download.headers["content-type"] == "text/csv; charset=utf-8"
    assert download.headers["content-disposition"] == \
        f'attachment; filename="webshop-uk-csv-{job_id}.csv"'
    assert "EL-1 title" in download.text and "EL-2 title" in download.text


def test_an_export_file_is_not_for_viewers(client, world, published):
    job_id = client.post(f"{JOBS}/exports", headers=world.auth("admin"),
                         json={"channel": "webshop-uk", "format": "ndjson"}).json()["id"]
    run_queued_jobs()

    assert problem(client.get(f"{JOBS}/{job_id}/file", headers=world.auth("viewer")), 403)
    assert client.get(f"{JOBS}/{job_id}", headers=world.auth("viewer")).status_code == 200


def test_an_export_file_is_a_conflict_until_the_job_has_run(client, world, published):
    job_id = client.post(f"{JOBS}/exports", headers=world.auth("editor"),
                         json={"channel": "webshop-uk", "format": "ndjson"}).json()["id"]

    body = problem(client.get(f"{JOBS}/{job_id}/file", headers=world.auth("editor")), 409)

    assert "queued" in body["detail"]


def test_an_export_names_each_unknown_field(client, world):
    response = client.post(f"{JOBS}/exports", headers=world.auth("editor"),
                           json={"channel": "nowhere", "format": "pdf"})
    locale = client.post(f"{JOBS}/exports", headers=world.auth("editor"),
                         json={"channel": "webshop-uk", "format": "csv", "locale": "xx_XX"})

    fields = {error["field"] for error in problem(response, 422)["errors"]}
    assert fields == {"channel", "format"}
    assert problem(locale, 422)["errors"][0]["field"] == "locale"


@pytest.mark.parametrize("role", ["viewer", "reviewer"])
def test_only_editors_and_admins_start_jobs(client, world, role):
    assert problem(upload(client, world, role), 403)
    export = client.post(f"{JOBS}/exports", headers=world.auth(role),
                         json={"channel": "webshop-uk", "format": "csv"})
    assert problem(export, 403)


@pytest.mark.parametrize("suffix", ["", "/report", "/file", "/cancel"])
def test_an_unknown_job_is_a_404_problem(client, world, suffix):
    method = "POST" if suffix == "/cancel" else "GET"

    response = client.request(method, f"{JOBS}/{'f' * 32}{suffix}", headers=world.auth("admin"))

    assert f"no job {'f' * 32}" in problem(response, 404)["detail"]


def test_a_queued_job_is_cancelled_and_cancelling_it_again_is_a_conflict(client, world):
    job_id = upload(client, world).json()["id"]

    cancelled = client.post(f"{JOBS}/{job_id}/cancel", headers=world.auth("editor"))
    run_queued_jobs()

    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["links"]["cancel"] is None
    assert client.get(f"{JOBS}/{job_id}", headers=world.auth("editor")).json()["status"] \
        == "cancelled"
    assert problem(client.post(f"{JOBS}/{job_id}/cancel", headers=world.auth("editor")), 409)


def test_an_editor_cannot_cancel_a_job_someone_else_started(client, world, published):
    job_id = client.post(f"{JOBS}/exports", headers=world.auth("admin"),
                         json={"channel": "webshop-uk", "format": "csv"}).json()["id"]

    refused = client.post(f"{JOBS}/{job_id}/cancel", headers=world.auth("editor"))
    by_admin = client.post(f"{JOBS}/{job_id}/cancel", headers=world.auth("admin"))

    assert "admin@pim.test" in problem(refused, 403)["detail"]
    assert by_admin.json()["status"] == "cancelled"


def test_jobs_are_listed_newest_first_and_filtered(client, world, published):
    first = upload(client, world).json()["id"]
    second = client.post(f"{JOBS}/exports", headers=world.auth("editor"),
                         json={"channel": "webshop-uk", "format": "csv"}).json()["id"]
    third = upload(client, world).json()["id"]
    client.post(f"{JOBS}/{third}/cancel", headers=world.auth("editor"))

    def ids(**query):
        response = client.get(JOBS, params=query, headers=world.auth("viewer"))
        assert response.status_code == 200, response.text
        return [job["id"] for job in response.json()["items"]]

    # Newest first; the set-up's own jobs (search indexing) come after.
    assert ids()[:3] == [third, second, first]
    assert ids(kind="import") == [third, first]
    assert ids(status="cancelled") == [third]
    assert ids(limit=1) == [third]
    refused = problem(client.get(JOBS, params={"status": "lost"}, headers=world.auth("viewer")),
                      422)
    assert refused["errors"][0]["field"] == "status" and "'lost'" in refused["detail"]
