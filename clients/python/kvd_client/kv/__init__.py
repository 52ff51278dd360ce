"""Generated code of kvd's proto package ``kv``; see ``kv.v1``."""
