"""A mask never shows more than a third of a value (issue 17 §11), whatever its length."""

from __future__ import annotations

import string

import pytest

from linkstar.core.masking import mask, tighten
from linkstar.entities.identifiers import mask_address, mask_email, mask_phone
from linkstar.entities.sensitive import mask_number

VALUE = (string.digits + string.ascii_uppercase) * 2


def shown(masked: str) -> int:
    return sum(1 for ch in masked if ch not in "*…")


@pytest.mark.parametrize("length", range(1, 41))
def test_numbers_and_plain_masks_show_at_most_a_third(length):
    value = VALUE[:length]
    for masked in (mask(value), mask_number(value)):
        assert len(masked) == length
        assert shown(masked) <= length // 3, masked


@pytest.mark.parametrize("length", range(1, 20))
def test_phones_mailboxes_and_addresses_show_at_most_a_third(length):
    digits = "13800138000123456789"[:length]
    assert shown(mask_phone(digits)) <= length // 3
    local = mask_email(VALUE[:length].lower() + "@example.com").split("@")[0]
    assert shown(local) <= length // 3
    address = "广东省深圳市南山区粤海街道科技园路一号"[:length]
    assert shown(mask_address(address)) <= length // 3


def test_long_numbers_keep_their_last_four_for_recognition():
    assert mask_number("440301198805121234") == "44************1234"
    assert mask_phone("+86 138-0013-8000") == "*********8000"


@pytest.mark.parametrize(
    ("kind", "stored", "tightened"),
    [
        ("phone", "1380***8000", "********000"),
        ("phone", "*******8000", "********000"),
        ("legal_rep_id", "4403**********1234", "44************1234"),
        ("email", "st***@xinghe.example", "s****@xinghe.example"),
        ("address", "深圳市宝安区福永街道…", "深圳市…"),
        ("address", "上海市浦东新区", "上海…"),
        ("collection_account", "Payoneer 6222***********6789", "Payoneer 62*************6789"),
    ],
)
def test_labels_stored_under_the_old_rule_are_tightened_never_loosened(kind, stored, tightened):
    assert tighten(stored, kind=kind) == tightened
    assert shown(tightened) <= shown(stored)
