"""What every REST connector shares: typed requests and pages, cursors, an httpx client that waits out rate limits.

Ingest's source connectors and enrich's CRM adapters describe their vendor's API (requests, pages,
timestamps); the walking, the waiting and the cursor table are here, once.
"""
