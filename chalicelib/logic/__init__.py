"""The domain: what gongyi does, in its own words (no boto3, no HTTP)."""
