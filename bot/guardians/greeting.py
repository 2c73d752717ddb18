"""What a guardian reads when their account is bound: whose guardian they are, and the rules."""

from __future__ import annotations

from bot.core.i18n import Catalog
from bot.guardians.store import Child


def welcome_parts(
    catalog: Catalog, language: str, children: list[Child], retention_days: int
) -> tuple[str, ...]:
    """The paragraphs after "hello": the children named, what comes, and the privacy notice."""
    separator = catalog.t(language, "guardians.separator")
    named = separator.join(
        catalog.t(
            language,
            "guardians.child",
            name=child.student.name,
            school=child.school_name,
            class_name=child.class_name,
        )
        for child in children
    )
    intro = (
        catalog.t(language, "guardians.intro", children=named)
        if children
        else catalog.t(language, "guardians.no_children")
    )
    return (
        intro,
        catalog.t(language, "help.guardian"),
        catalog.t(language, "guardians.privacy", days=retention_days),
    )
