"""Use cases and the transaction boundary. Imports the domain only; storage comes in through ports."""
