"""Storage: the ports (``protocols``), the SQL store both dialects share (records, row parameters, search
SQL, snapshot and state caches, the named queries of ``sql/<dialect>``), and one subpackage per dialect
(``sqlite``, ``postgres``) holding only what differs."""
