"""Authorization rows for the jobs routes: (method, path) -> roles; merged into
test_access.MATRIX. PARAMS maps path placeholders to harmless values.

Every role reads job records and import reports; starting and cancelling jobs is content
work (editor, admin), and so is downloading an export's file: it holds a whole feed."""

_ALL = {"admin", "editor", "reviewer", "viewer"}
_CONTENT = {"admin", "editor"}

ROWS: dict = {
    ("POST", "/api/v1/jobs/imports"): _CONTENT,
    ("POST", "/api/v1/jobs/catalog-imports"): _CONTENT,
    ("POST", "/api/v1/jobs/exports"): _CONTENT,
    ("GET", "/api/v1/jobs"): _ALL,
    ("GET", "/api/v1/jobs/{job_id:str}"): _ALL,
    ("POST", "/api/v1/jobs/{job_id:str}/cancel"): _CONTENT,
    ("GET", "/api/v1/jobs/{job_id:str}/report"): _ALL,
    ("GET", "/api/v1/jobs/{job_id:str}/file"): _CONTENT,
}
PARAMS: dict = {"{job_id:str}": "0" * 32}
