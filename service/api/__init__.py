"""The HTTP edge: litestar app factory, schemas, controllers, error mapping, dashboard."""
