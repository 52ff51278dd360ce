"""The README's examples run as shown: example.py and example_async.py are
the README's first and second python blocks, and running each against kvd
prints the README's first and second text blocks."""

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


EXAMPLES = ["example.py", "example_async.py", "example_revisions.py",
            "example_expiry.py"]  # in README order


class ReadmeTest(unittest.TestCase):
    def test_examples_are_the_readme_blocks(self) -> None:
        blocks = _blocks("python")
        self.assertEqual(len(blocks), len(EXAMPLES), "one python block per example file")
        for index, name in enumerate(EXAMPLES):
            with self.subTest(example=name):
                self.assertEqual((HERE / name).read_text(encoding="utf-8"), blocks[index])

    def test_examples_print_what_the_readme_shows(self) -> None:
        if not os.environ.get("KVD_ADDR"):
            self.fail("KVD_ADDR is not set; run under clients/testing/with_kvd.sh")
        env = dict(os.environ, PYTHONPATH=str(HERE))
        outputs = _blocks("text")
        for index, name in enumerate(EXAMPLES):
            with self.subTest(example=name):
                result = subprocess.run([sys.executable, name], cwd=HERE, env=env,
                                        capture_output=True, text=True, timeout=60)
                self.assertEqual(result.returncode, 0, result.stderr)
                self.assertEqual(result.stdout, outputs[index])


if __name__ == "__main__":
    unittest.main()
