"""Guardians (家长): linked to their children, answering for the young, nudged, receipting."""
