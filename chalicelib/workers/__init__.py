"""Event handlers (streams, queues): each module registers its Lambda functions on the app."""
