"""SQL for notices, one module per job: places, drafts, audiences, notices, receipts, reports."""
