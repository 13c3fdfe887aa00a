"""How the stages run at scale: the worker pool (workers), the record cache (cache), tables
kept in memory-mapped files (spool) and the Arrow helpers over them (arrow_tables), heap
trimming (memory). No rule of the data lives here.
"""
