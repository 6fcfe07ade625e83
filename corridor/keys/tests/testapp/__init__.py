"""Concrete models for the keys tests and benchmarks; installed only by corridor.settings_test."""
