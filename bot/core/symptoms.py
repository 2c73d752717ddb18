"""The symptom codes a check-in offers, and the red flags among them by default."""

from __future__ import annotations

# Stable codes: stored in the database and sent as indexes in buttons (ci:<id>:sy:<index>), so
# a code is only ever added at the end; KEYBOARD_ORDER decides where it is shown.
SYMPTOMS = (
    "fever",
    "cough",
    "sore_throat",
    "runny_nose",
    "headache",
    "fatigue",
    "aches",
    "taste_smell",
    "breath",
    "gut",
    "other",
    "chest_pain",
    "confusion",
    "blue_lips",
    "seizure",
)
# Emergencies first, where a frightened student sees them; "other" last.
KEYBOARD_ORDER = (
    "breath",
    "chest_pain",
    "blue_lips",
    "confusion",
    "seizure",
    "fever",
    "cough",
    "sore_throat",
    "runny_nose",
    "headache",
    "fatigue",
    "aches",
    "taste_smell",
    "gut",
    "other",
)
# Warning signs that need emergency care now (difficulty breathing, chest pain, new confusion,
# bluish lips, convulsions): an urgent alert and "call 120" to the student.
RED_FLAGS = ("breath", "chest_pain", "confusion", "blue_lips", "seizure")
