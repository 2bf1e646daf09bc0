"""Tables, the database engine and the SQL of each domain."""
