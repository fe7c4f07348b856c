"""Per-site default templates (issue 12 §4): which template a batch row of a site gets when it
names none, who may choose it, what is refused and audited, and the templates page's button."""

from __future__ import annotations

import pytest

from linkstar.audit.models import AuditEvent
from linkstar.core.exceptions import InvalidInput, NotFound, PermissionDenied
from linkstar.playbooks.models import SiteDefaultTemplate, Template
from linkstar.playbooks.selectors import default_template_for_site, template_site_codes
from linkstar.playbooks.services import (
    clear_site_default,
    create_template,
    publish_version,
    replace_draft_tasks,
    set_site_default,
)
from tests.support.clients import signed_in as client_for

pytestmark = pytest.mark.usefixtures("english_messages")


def builtin(key: str) -> Template:
    return Template.objects.get(organization__isnull=True, key=key)


@pytest.fixture
def own_na(as_alice, amazon_na, three_tasks) -> Template:
    """The organization's own published copy of the Amazon North America template."""
    template = create_template(actor=as_alice, name="我们的北美模板", clone_from=amazon_na)
    version = template.versions.get()
    replace_draft_tasks(actor=as_alice, version=version, tasks=three_tasks)
    publish_version(actor=as_alice, version=version)
    return template


def test_without_a_choice_a_site_takes_its_only_built_in_template(as_bob, amazon_na):
    assert default_template_for_site(as_bob, "amazon-us") == amazon_na
    assert default_template_for_site(as_bob, "shopee-my") == builtin("shopee-cb")
    assert default_template_for_site(as_bob, "tiktok-shop-my") == builtin("tiktok-shop-cb")
    assert default_template_for_site(as_bob, "no-such-site") is None


def test_the_organizations_only_own_template_wins_over_the_built_in_one(as_bob, own_na):
    assert default_template_for_site(as_bob, "amazon-ca") == own_na


def test_a_draft_template_of_the_organization_is_not_taken(as_alice, as_bob, amazon_na):
    create_template(actor=as_alice, name="草稿", site="amazon-us")
    assert default_template_for_site(as_bob, "amazon-us") == amazon_na


def test_two_own_templates_for_a_site_and_no_choice_give_none(
    as_alice, as_bob, amazon_na, own_na, three_tasks
):
    second = create_template(actor=as_alice, name="第二个美国模板", site="amazon-us")
    version = second.versions.get()
    replace_draft_tasks(actor=as_alice, version=version, tasks=three_tasks)
    publish_version(actor=as_alice, version=version)
    assert default_template_for_site(as_bob, "amazon-us") is None
    set_site_default(actor=as_alice, template=second, sites=["amazon-us"])
    assert default_template_for_site(as_bob, "amazon-us") == second
    assert default_template_for_site(as_bob, "amazon-ca") == own_na  # the only own one there


def test_an_admin_makes_a_template_the_default_of_all_its_sites_audited(
    org, as_alice, as_bob, amazon_na, own_na
):
    sites = set_site_default(actor=as_alice, template=amazon_na)
    assert sites == sorted(template_site_codes(amazon_na))
    assert default_template_for_site(as_bob, "amazon-mx") == amazon_na
    event = AuditEvent.objects.get(organization=org, action="template.site_default_set")
    assert event.actor_id == as_alice.user_id and event.object_id == str(amazon_na.pk)
    assert event.changes["amazon-us"] == {"before": None, "after": amazon_na.pk}

    set_site_default(actor=as_alice, template=own_na, sites=["amazon-us"])
    assert default_template_for_site(as_bob, "amazon-us") == own_na
    assert default_template_for_site(as_bob, "amazon-ca") == amazon_na
    latest = AuditEvent.objects.filter(action="template.site_default_set").order_by("-id")[0]
    assert latest.changes == {"amazon-us": {"before": amazon_na.pk, "after": own_na.pk}}
    assert SiteDefaultTemplate.objects.filter(organization=org).count() == len(sites)


def test_clearing_a_default_falls_back_and_is_audited(org, as_alice, as_bob, amazon_na, own_na):
    set_site_default(actor=as_alice, template=amazon_na, sites=["amazon-us"])
    clear_site_default(actor=as_alice, site="amazon-us")
    assert default_template_for_site(as_bob, "amazon-us") == own_na
    event = AuditEvent.objects.get(organization=org, action="template.site_default_cleared")
    assert event.changes == {"amazon-us": {"before": amazon_na.pk, "after": None}}
    clear_site_default(actor=as_alice, site="amazon-us")  # nothing to clear: nothing written
    assert AuditEvent.objects.filter(action="template.site_default_cleared").count() == 1


def test_a_manager_may_not_choose_or_clear_a_default(as_alice, as_bob, amazon_na):
    with pytest.raises(PermissionDenied):
        set_site_default(actor=as_bob, template=amazon_na)
    set_site_default(actor=as_alice, template=amazon_na)
    with pytest.raises(PermissionDenied):
        clear_site_default(actor=as_bob, site="amazon-us")
    assert SiteDefaultTemplate.objects.count() == len(template_site_codes(amazon_na))


def test_a_template_not_for_the_site_is_refused(as_alice, amazon_na):
    with pytest.raises(InvalidInput) as exc:
        set_site_default(actor=as_alice, template=amazon_na, sites=["shopee-my"])
    assert exc.value.errors[0].field == "sites"
    assert not SiteDefaultTemplate.objects.exists()


def test_an_unpublished_template_is_refused(as_alice):
    draft = create_template(actor=as_alice, name="草稿", site="amazon-us")
    with pytest.raises(InvalidInput) as exc:
        set_site_default(actor=as_alice, template=draft)
    assert "published" in str(exc.value.errors[0].message)
    assert not SiteDefaultTemplate.objects.exists()


def test_another_organizations_template_is_as_if_it_did_not_exist(as_alice, as_mallory):
    theirs = create_template(actor=as_mallory, name="Evil", site="amazon-us")
    with pytest.raises(NotFound):
        set_site_default(actor=as_alice, template=theirs)


def test_one_organizations_default_does_not_touch_another(as_alice, as_mallory, own_na):
    set_site_default(actor=as_alice, template=own_na)
    assert default_template_for_site(as_mallory, "amazon-us") == builtin("amazon-na")


# --- the templates page ----------------------------------------------------------------------


def test_the_library_shows_the_default_sites_and_an_admin_sets_them(org, alice, amazon_na, own_na):
    client = client_for(alice)
    html = client.get("/o/acme/templates/").content.decode()
    row = html.split(f'data-template-id="{own_na.pk}"')[1].split("</tr>")[0]
    assert "data-default-sites" in row and 'data-action="make-default"' in row
    builtin_row = html.split(f'data-template-id="{amazon_na.pk}"')[1].split("</tr>")[0]
    assert "data-default-sites" not in builtin_row  # the organization's own one is taken

    response = client.post(f"/o/acme/templates/{amazon_na.pk}/make-default/")
    assert response.status_code == 302
    assert default_template_for_site(actor_of_alice(org, alice), "amazon-ca") == amazon_na
    html = client.get("/o/acme/templates/").content.decode()
    builtin_row = html.split(f'data-template-id="{amazon_na.pk}"')[1].split("</tr>")[0]
    assert "data-default-sites" in builtin_row


def test_a_manager_sees_no_button_and_is_refused(org, bob, amazon_na):
    client = client_for(bob)
    html = client.get("/o/acme/templates/").content.decode()
    assert 'data-action="make-default"' not in html
    assert "data-default-sites" in html  # what the defaults are is shown to everyone
    # a refused form post is the 403 page that says why (core.web.DomainErrorMiddleware)
    response = client.post(
        f"/o/acme/templates/{amazon_na.pk}/make-default/", HTTP_REFERER="/o/acme/templates/"
    )
    assert response.status_code == 403
    assert not SiteDefaultTemplate.objects.exists()
    html = response.content.decode()
    assert "只有管理员可以修改模板。" in html  # the page speaks Chinese by default
    assert '<a href="/o/acme/templates/" class="me-3" id="forbidden-back">' in html


def actor_of_alice(org, alice):
    from tests.support.seed import actor_of

    return actor_of(org, alice)
