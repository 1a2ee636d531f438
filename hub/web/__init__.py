"""The hub's HTML: the portal, the resource pages and the embeddable search (widget, iframe, snippets)."""
