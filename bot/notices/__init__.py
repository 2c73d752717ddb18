"""Notices with read receipts: drafts, sending, receipts, reports, reminders, withdrawal."""
