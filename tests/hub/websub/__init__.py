"""Tests of WebSub: subscriptions, topic filters and content distribution to real subscribers."""
