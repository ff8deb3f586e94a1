"""Project search: analysis, the ``SearchIndex`` interface, its DynamoDB implementation, the indexer."""
