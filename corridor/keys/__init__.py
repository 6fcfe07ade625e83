"""Key management for Corridor: the key service, its keyring client and crypto primitives.

The rest of Corridor imports corridor.keys.api, the facade (see its docstring for the few other
public modules). The only package allowed to import cryptography, pyrage, argon2 and pyshamir.
"""
