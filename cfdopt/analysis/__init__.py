"""Analysis of flows: polars, trim to a target lift, and the outputs a solve writes."""
