"""Cluster mode: the same run spread over the workers of a Dask cluster (``surge run --cluster``)."""
