"""Key management for Corridor: the key service, its keyring client and crypto primitives.

The only package allowed to import cryptography, pyrage, argon2 and pyshamir.
"""
