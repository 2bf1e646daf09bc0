"""Reference data (divisions, congresses) and generated data (demo, national)."""
