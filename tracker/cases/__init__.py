"""Cases (办件): events in every channel, one validator, deadlines stored for the scheduler's scans."""
