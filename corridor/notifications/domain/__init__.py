"""The notifications app's state changes: notifying, reading, the roster, escalation."""
