"""Writers: GeoJSON, HTML map, tables. Every writer writes atomically."""
