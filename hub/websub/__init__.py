"""The hub as its own WebSub hub (W3C WebSub Recommendation): discovery links for its feeds."""
