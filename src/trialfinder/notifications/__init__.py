"""Email and the outbox that delivers it."""
