"""Tests of what people see: portal, embeds, widget (in Chromium) and sanitising."""
