"""Records and ports: what the service is about, free of I/O."""
