"""The sync engine: outbox up, colleagues' records down, receipts kept. No Qt here.

``ui/sync_worker.py`` runs it on a worker thread; ``services/sync.py`` wires it to a store.
"""
