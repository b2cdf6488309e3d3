"""Helpers shared by the tests and the benchmark tools: imported as
lib.NAME with tests/ on sys.path (pytest puts it there; a tool inserts it).
The lab's own driver, labctl, stays beside lab.sh in tests/lab/."""
