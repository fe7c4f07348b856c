"""Fixtures of the delivery tests."""

from __future__ import annotations

import pytest

from tests.support.receivers import Receiver

# --- chat robot receivers (helper B2) ---------------------------------------------------------


@pytest.fixture
def receiver():
    """Start a fake robot: ``receiver("dingtalk", fail_first=1)`` → a running :class:`Receiver`
    (see ``tests/support/receivers.py`` for the options); all are stopped after the test."""
    started: list[Receiver] = []

    def start(kind: str, **options) -> Receiver:
        robot = Receiver(kind, **options).start()
        started.append(robot)
        return robot

    yield start
    for robot in started:
        robot.stop()


@pytest.fixture
def wecom_receiver(receiver) -> Receiver:
    return receiver("wecom")


@pytest.fixture
def dingtalk_receiver(receiver) -> Receiver:
    return receiver("dingtalk")


@pytest.fixture
def feishu_receiver(receiver) -> Receiver:
    return receiver("feishu")


@pytest.fixture
def webhook_receiver(receiver) -> Receiver:
    return receiver("webhook")


# --- end of the chat robot receivers ----------------------------------------------------------
