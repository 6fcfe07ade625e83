"""The tamper-evident audit log (design Invariant 6): entries, Merkle tree, checkpoints.
`merkle` holds the pure RFC 6962 hashing and proofs; Django parts live beside it.
"""
