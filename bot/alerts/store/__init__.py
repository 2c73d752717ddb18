"""SQL for alerts, one module per job: the alerts themselves (signals, cards, escalation,
events), and how an alert was handled (calls logged, the 处置情况 prompt and line)."""
