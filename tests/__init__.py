"""Tests for the Bandwidth Voice integration."""
