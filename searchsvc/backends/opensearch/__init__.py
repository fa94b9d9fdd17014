"""The OpenSearch backend: install, local cluster, connection, indexing and search."""
