"""The tamper-evident record: a hash chain of every change that matters, and signed checkpoints."""
