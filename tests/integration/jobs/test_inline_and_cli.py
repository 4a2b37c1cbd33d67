"""``run_inline`` (the CLI's long commands) and ``pim jobs list|show|cancel``."""

from __future__ import annotations

import io
import json

from click.testing import CliRunner
from rich.console import Console

from pim.cli import main
from pim.jobs import enqueue, run_inline
from tests.integration.jobs.conftest import job_row


def quiet_console() -> tuple[Console, io.StringIO]:
    output = io.StringIO()
    return Console(file=output, width=200), output


def test_run_inline_records_the_job_and_prints_a_one_line_summary(fast_jobs):
    console, output = quiet_console()

    job = run_inline("test.count", {"items": 3}, created_by="cli", console=console)

    assert (job.status, job.result, job.created_by) == ("succeeded", {"counted": 3}, "cli")
    assert job_row(job.id).runner.startswith("inline:")
    assert f"test.count {job.id} succeeded" in output.getvalue()
    assert "(counted: 3)" in output.getvalue()


def test_run_inline_retries_a_transient_failure_in_process(fast_jobs):
    console, output = quiet_console()

    job = run_inline("test.flaky", {"failures": 1}, console=console, show_progress=False)

    assert (job.status, job.attempts) == ("succeeded", 2)
    assert "attempt 1 failed (TransientError" in output.getvalue()


def test_run_inline_reports_a_permanent_failure(fast_jobs):
    console, output = quiet_console()

    job = run_inline("test.invalid", {"sku": "EL-9"}, console=console, show_progress=False)

    assert (job.status, job.attempts) == ("failed", 1)
    assert "failed" in output.getvalue() and "no product EL-9" in output.getvalue()


def cli(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_pim_jobs_list_filters_by_status_and_kind(fast_jobs):
    counted = run_inline("test.count", {"items": 1}, show_progress=False,
                         console=quiet_console()[0])
    queued = enqueue("test.stamp")

    by_status = cli("jobs", "list", "--status", "queued")
    by_kind = cli("jobs", "list", "--kind", "test.count", "--limit", "5")

    assert queued in by_status.output and counted.id not in by_status.output
    assert counted.id in by_kind.output and queued not in by_kind.output


def test_pim_jobs_show_prints_the_whole_record_as_json(fast_jobs):
    job = run_inline("test.count", {"items": 2}, show_progress=False,
                     console=quiet_console()[0])

    shown = json.loads(cli("jobs", "show", job.id).output)

    assert shown["id"] == job.id and shown["status"] == "succeeded"
    assert shown["progress_percent"] == 100.0 and shown["result"] == {"counted": 2}


def test_pim_jobs_show_of_an_unknown_job_says_so(fast_jobs):
    result = cli("jobs", "show", "0" * 32)

    assert result.exit_code == 1 and "no job 000" in result.output


def test_pim_jobs_cancel_cancels_a_queued_job(fast_jobs):
    job_id = enqueue("test.stamp")

    result = cli("jobs", "cancel", job_id)

    assert result.exit_code == 0 and job_row(job_id).status == "cancelled"


def test_a_database_error_leaves_a_short_message_and_no_sql_on_the_job(fast_jobs, caplog):
    console, _ = quiet_console()

    job = run_inline("test.database_error", {"secret": "S3CRET-PARAM"}, console=console,
                     show_progress=False)

    assert job.status == "failed"
    error = job_row(job.id).error
    assert "failed: database error (" in error and "no_such_table" in error
    assert "SELECT" not in error and "S3CRET-PARAM" not in error
    assert "Traceback" not in error and len(error) < 400
    # The whole story is in the server log.
    assert "SELECT * FROM no_such_table" in caplog.text
