"""An in-repo fake Telegram Bot API for end-to-end tests and benchmarks."""

from tests.fakeapi.faults import Fault
from tests.fakeapi.server import TOKEN, FakeBotAPI, FakeUser
from tests.fakeapi.state import ApiCall

__all__ = ["TOKEN", "ApiCall", "FakeBotAPI", "FakeUser", "Fault"]
