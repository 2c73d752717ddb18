"""Alerts: raised from check-ins and student texts, routed as cards, acted on, escalated."""
