"""Return to school (返校复学): open, declare, decide, release, report."""
