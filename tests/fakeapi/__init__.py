"""An in-repo fake Telegram Bot API for end-to-end tests and benchmarks."""

from tests.fakeapi.faults import Fault
from tests.fakeapi.people import FakeGroup, FakeUser
from tests.fakeapi.server import TOKEN, FakeBotAPI
from tests.fakeapi.state import ApiCall, ApiError, Upload

__all__ = [
    "TOKEN",
    "ApiCall",
    "ApiError",
    "FakeBotAPI",
    "FakeGroup",
    "FakeUser",
    "Fault",
    "Upload",
]
