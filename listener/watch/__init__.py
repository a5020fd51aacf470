"""What herald notices when no service speaks (docs/operations.md)."""
