"""SQL for check-ins, one module per job: the rounds, and each student's check-in."""
