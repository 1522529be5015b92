"""Tests for the Bandwidth Voice API client, the `bandwidth-voice` package."""
