from linkstar.archives import services
from tests.archives.conftest import manifest_of, read_zip, stored_bytes


def test_smoke(worked_project, as_bob):
    job = services.request_archive(actor=as_bob, project_ids=[worked_project.pk])
    job = services.build_archive(job_id=job.pk)
    assert job.status == "done", job.error
    z = read_zip(stored_bytes(job))
    print(z.namelist())
    print(manifest_of(z)["projects"])
