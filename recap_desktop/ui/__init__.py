"""The desktop window. The only package that imports Qt; it calls the services, never SQL."""
