"""Check-ins: rounds, the answer flow, its screens, the schedule and the store."""
