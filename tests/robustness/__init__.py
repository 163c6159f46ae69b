"""Tests that try hard to break coopflow: concurrency, crashes, hostile input, tampering."""
