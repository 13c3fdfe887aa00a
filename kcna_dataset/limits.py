"""How large an input may be: a leaf module (read, the parsers and the error catalogue use it).

A page is at most 2 MiB; a record file at most 256 MiB (it is read whole); one record at most
1 MiB. Past these a file or record is refused with a finding, so that
one bad file cannot take the machine's memory.
"""

MIB = 1 << 20
MAX_FILE_BYTES = {".txt": 2 * MIB, ".jsonl": 256 * MIB, ".json": 256 * MIB, ".csv": 256 * MIB}
MAX_OTHER_BYTES = 2 * MIB
MAX_RECORD_BYTES = 1 * MIB  # one JSONL line, JSON array element or CSV record
