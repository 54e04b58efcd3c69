"""`trialfinder import` with records that once stopped it or forged its output: a record nested 100,000 levels deep
and a file whose name holds a newline and an escape sequence are listed as rejected, escaped, one line each; the
other records are imported and the exit status is that of any import with rejected records."""

from __future__ import annotations

import json
import shutil

from conftest import FIXTURES
from test_cli import cache_dir, env, run  # noqa: F401 (fixtures)

V2 = FIXTURES / "ctgov_v2"
DEEP = "[" * 100_000 + "]" * 100_000


def test_deep_and_forged_records_are_listed_escaped_and_the_rest_imported(env, tmp_path):  # noqa: F811
    folder = tmp_path / "records"
    shutil.copytree(V2, folder)
    record = json.loads((V2 / "NCT06857773.json").read_text())
    record["protocolSection"]["identificationModule"]["nctId"] = "NCT09000061"
    text = json.dumps(record).replace('"protocolSection": {', f'"protocolSection": {{"extra": {DEEP}, ', 1)
    (folder / "deep.json").write_text(text)
    (folder / "x\nrejected NCT00000001.json: \x1b[31mforged.json").write_text("{not json")

    done = run("import", str(folder), env=env)

    assert done.returncode == 0, done.stderr
    assert "4 added, 0 updated, 0 unchanged, 2 rejected" in done.stdout
    rejected = [line for line in done.stderr.splitlines() if line.startswith("rejected ")]
    assert rejected == [
        "rejected deep.json: the JSON is nested too deeply (more than about a thousand levels) to be a registry record",
        "rejected x\\nrejected NCT00000001.json: \\x1b[31mforged.json: invalid JSON: "
        + rejected[1].rsplit("invalid JSON: ", 1)[1],
    ]
    assert all(character.isprintable() for character in done.stderr.replace("\n", ""))
