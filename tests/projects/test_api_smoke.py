from __future__ import annotations


def test_manager_creates_project_and_reads_it_back(api, org, bob, entity, amazon_na):
    client = api(bob)
    r = client.post(
        "/orgs/acme/projects",
        {
            "template_id": amazon_na.pk,
            "store_name": "Shop A",
            "entity_id": entity.pk,
            "start_date": "2026-11-02",
        },
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["code"] == "AMZ-US-0001"
    assert body["stage"] == "preparing"
    assert body["manager_id"] == bob.pk
    r = client.get(f"/orgs/acme/projects/{body['id']}/tasks")
    assert r.status_code == 200
    assert r.json()["count"] == body["task_count"] > 10
