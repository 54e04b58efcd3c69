"""Compiled Jinja templates kept for the life of the process.

Each `Environment` compiles a template the first time it renders it: a few hundred milliseconds for the trial page.
The site builds one environment per language, with the same options, and the same template compiles to the same
code in each (translations are looked up when the page renders, not when it compiles); a server that builds its
application again (the tests build one per test) would compile everything again. A `CompiledTemplates` shared by
environments of the same options hands each the code the first one compiled. Jinja checks the template's source
checksum on every load, so a changed template is compiled afresh.
"""

from __future__ import annotations

import threading

from jinja2.bccache import Bucket, BytecodeCache


class CompiledTemplates(BytecodeCache):
    """In memory, for environments built with the same options (the code differs with autoescape, say)."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def load_bytecode(self, bucket: Bucket) -> None:
        with self._lock:
            code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        code = bucket.bytecode_to_string()
        with self._lock:
            self._code[bucket.key] = code
