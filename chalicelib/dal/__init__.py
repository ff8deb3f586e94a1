"""Data-access layer: the only code that talks to DynamoDB and S3."""
