"""A person as a viewer: who they are and the classes and schools their role covers today."""

from bot.core.access import Viewer
from bot.storage import people
from bot.storage.db import Database
from bot.storage.records import Person


async def viewer(db: Database, person: Person) -> Viewer:
    class_ids, school_ids = await people.viewer_scope(db, person)
    return Viewer(person, class_ids, school_ids)
