"""Test helpers shared by several kinds of test (servers on localhost, builders of fixtures)."""
