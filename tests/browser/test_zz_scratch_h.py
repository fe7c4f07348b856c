import pytest
from tests.browser.test_notification_pages import open_as  # noqa
from tests.delivery.helpers import make_channel
pytestmark = pytest.mark.django_db(transaction=True)

def test_x(open_as, org, alice):
    c = make_channel(org, kind="dingtalk", url="http://127.0.0.1:45678/robot/send?access_token=abcdef0123456789", secret="SEC5f1c0b6e2f4a4a0f9d6e8b7c3a2d1e0f5c")
    page = open_as(alice, width=390, height=844)
    page.goto(page.base_url + f"/o/acme/settings/channels/{c.pk}/")
    print("SW", page.evaluate("document.documentElement.scrollWidth"), page.evaluate("getComputedStyle(document.body).overflowX"))
    page.screenshot(path="/tmp/edit.png", full_page=True)
