"""The README's example runs as shown: example.py is the README's python
block, and running it against kvd prints the README's output block."""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys
import unittest

HERE = pathlib.Path(__file__).absolute().parent.parent


def _blocks(language: str) -> list:
    readme = (HERE / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```" + language + r"\n(.*?)```", readme, re.S)


class ReadmeTest(unittest.TestCase):
    def test_example_py_is_the_readme_block(self) -> None:
        self.assertEqual((HERE / "example.py").read_text(encoding="utf-8"), _blocks("python")[0])

    def test_example_prints_what_the_readme_shows(self) -> None:
        if not os.environ.get("KVD_ADDR"):
            self.fail("KVD_ADDR is not set; run under clients/testing/with_kvd.sh")
        env = dict(os.environ, PYTHONPATH=str(HERE))
        result = subprocess.run([sys.executable, "example.py"], cwd=HERE, env=env,
                                capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout, _blocks("text")[0])


if __name__ == "__main__":
    unittest.main()
