"""The case file: its schema and loading, the key reference, flight points, and the objects a case builds."""
