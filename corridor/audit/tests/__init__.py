"""Tests for the audit log.
Pure-Python parts (the Merkle tree) run without Django.
"""
