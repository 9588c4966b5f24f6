"""Keys, keystore, canonical encoding and the one signed envelope. No Qt, no database."""
