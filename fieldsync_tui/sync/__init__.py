"""The sync engine and its HTTP transport: no UI code here."""
