"""Receipts: the 三证 (感谢信, 捐赠证书, 捐赠票据), numbered, verifiable, self-service."""
