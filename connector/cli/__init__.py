"""The refnet admin command line."""
