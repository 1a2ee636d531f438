"""The hub as its own WebSub hub (W3C WebSub Recommendation): the subscription endpoint with its
verification of intent, and content distribution after a run (matching topics, signed deliveries).
The subscriptions are stored by ``hub/store/subscriptions.py``; the feeds' discovery links by
``hub/feeds/discovery.py``."""
