"""//clients/python:consumer_test: the README's "Install" section, followed
as a user would, outside the repository, offline, against a real kvd.

It copies clients/python to $TEST_TMPDIR/consumer/kvd/clients/python (the
user's "$KVD_REPO" checkout) and runs the README's shell blocks marked
``<!-- consumer_test: NAME -->`` as they are, with bash: install-here (a fresh
venv, pip install of the source folder), build (python3 -m build: sdist and
wheel) and install-wheel (another fresh venv, pip install of the wheel). Each
venv's app.py is the README's four examples, one after the other, so each run
must print the README's four output blocks. pip runs with no configuration
file and no PIP_* variables of the machine, so nothing but the README's
flags decides where packages come from.

Run it under clients/testing/with_kvd.sh (it needs KVD_ADDR).
"""

from __future__ import annotations

import os
import pathlib
import re
import shutil
import subprocess
import tarfile
import tempfile
import unittest
import zipfile
from typing import Dict, Optional

HERE = pathlib.Path(__file__).absolute().parent.parent
VERSION = "0.1.0"
WHEEL = f"kvd_client-{VERSION}-py3-none-any.whl"
SDIST = f"kvd-client-{VERSION}.tar.gz"


def readme() -> str:
    return (HERE / "README.md").read_text(encoding="utf-8")


def readme_block(name: str) -> str:
    """The fenced block right after ``<!-- consumer_test: NAME -->``."""
    match = re.search(r"<!-- consumer_test: " + re.escape(name) + r" -->\n```sh\n(.*?)```",
                      readme(), re.S)
    if match is None:
        raise AssertionError(f"README.md has no block marked consumer_test: {name}")
    return match.group(1)


EXAMPLES = ["example.py", "example_async.py", "example_revisions.py",
            "example_expiry.py"]  # in README order


def readme_outputs() -> str:
    """What app.py prints: the README's text blocks of its examples."""
    return "".join(re.findall(r"```text\n(.*?)```", readme(), re.S)[:len(EXAMPLES)])


def app_source() -> str:
    return "\n".join((HERE / name).read_text(encoding="utf-8") for name in EXAMPLES)


class ConsumerTest(unittest.TestCase):
    """Numbered: the wheel built by test_2 is installed by test_3."""

    root: pathlib.Path
    own_tmp: Optional[str]
    env: Dict[str, str]

    @classmethod
    def setUpClass(cls) -> None:
        if not os.environ.get("KVD_ADDR"):
            raise RuntimeError("KVD_ADDR is not set; run under clients/testing/with_kvd.sh")
        cls.own_tmp = None if os.environ.get("TEST_TMPDIR") else tempfile.mkdtemp(
            prefix="kvd-consumer-")
        cls.root = pathlib.Path(os.environ.get("TEST_TMPDIR") or cls.own_tmp) / "consumer"
        shutil.rmtree(cls.root, ignore_errors=True)
        repo = cls.root / "kvd"
        # Like a checkout: real files (Bazel's runfiles are symlinks), no
        # build output.
        shutil.copytree(HERE, repo / "clients" / "python", symlinks=False,
                        ignore=shutil.ignore_patterns("__pycache__", "build", "dist",
                                                      "*.egg-info", ".venv"))
        home = cls.root / "home"
        home.mkdir()
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("PIP_") and k not in ("PYTHONPATH", "PYTHONHOME",
                                                          "VIRTUAL_ENV")}
        env.update(KVD_REPO=str(repo), HOME=str(home), PIP_CONFIG_FILE=os.devnull,
                   PIP_NO_CACHE_DIR="1", PIP_DISABLE_PIP_VERSION_CHECK="1",
                   PATH=env.get("PATH") or "/usr/bin:/bin")
        cls.env = env

    @classmethod
    def tearDownClass(cls) -> None:
        if cls.own_tmp is not None:  # Bazel cleans $TEST_TMPDIR itself
            shutil.rmtree(cls.own_tmp, ignore_errors=True)

    def run_block(self, name: str, cwd: pathlib.Path) -> str:
        """Runs README block NAME with bash -e in CWD; returns its stdout."""
        result = subprocess.run(["bash", "-euo", "pipefail", "-c", readme_block(name)],
                                cwd=cwd, env=self.env, capture_output=True, text=True,
                                timeout=600)
        self.assertEqual(result.returncode, 0,
                         f"README block {name} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def make_app(self, parent: str) -> pathlib.Path:
        app = self.root / parent / "my-app"
        app.mkdir(parents=True)
        (app / "app.py").write_text(app_source(), encoding="utf-8")
        return app

    def assert_app_uses_its_venv(self, app: pathlib.Path) -> None:
        # From /, with no PYTHONPATH: kvd_client can only come from the venv.
        result = subprocess.run(
            [str(app / ".venv/bin/python"), "-c",
             "import kvd_client, kvd_client.aio; print(kvd_client.__file__); "
             "print(kvd_client.__version__)"],
            cwd="/", env=self.env, capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        path, version = result.stdout.split()
        self.assertTrue(path.startswith(str(app / ".venv") + "/"), path)
        self.assertEqual(version, VERSION)

    def test_1_install_here_from_the_source_folder(self) -> None:
        app = self.make_app("here")
        out = self.run_block("install-here", self.root / "here")
        self.assertIn("Successfully installed kvd-client-" + VERSION, out)
        self.assertTrue(out.endswith(readme_outputs()), out)
        self.assert_app_uses_its_venv(app)

    def test_2_build_sdist_and_wheel(self) -> None:
        self.run_block("build", self.root)
        dist = self.root / "kvd/clients/python/dist"
        self.assertEqual(sorted(p.name for p in dist.iterdir()), sorted([SDIST, WHEEL]))
        with zipfile.ZipFile(dist / WHEEL) as wheel:
            names = set(wheel.namelist())
            metadata = wheel.read(f"kvd_client-{VERSION}.dist-info/METADATA").decode()
        for module in ("__init__.py", "aio.py", "_common.py", "_requests.py", "_update.py",
                       "errors.py", "records.py", "store.py", "roundtrip.py", "py.typed",
                       "kv/v1/kv_pb2.py", "kv/v1/kv_pb2_grpc.py"):
            self.assertIn("kvd_client/" + module, names)
        self.assertFalse([n for n in names if n.startswith("tests/")], names)
        headers = metadata.split("\n\n", 1)[0].splitlines()
        for line in ("Name: kvd-client", f"Version: {VERSION}", "Requires-Python: >=3.8",
                     "Requires-Dist: grpcio (<2,>=1.51)", "Requires-Dist: protobuf (<6,>=3.20)",
                     "Author: kvd developers", "Classifier: Framework :: AsyncIO",
                     "Classifier: Typing :: Typed"):
            self.assertIn(line, headers)
        self.assertTrue([h for h in headers if h.startswith("License: ")], headers)
        with tarfile.open(dist / SDIST) as sdist:
            members = set(sdist.getnames())
        for path in ("pyproject.toml", "README.md", "kvd_client/aio.py", "kvd_client/py.typed",
                     "kvd_client/kv/v1/kv_pb2.py"):
            self.assertIn(f"kvd-client-{VERSION}/{path}", members)

    def test_3_install_the_wheel(self) -> None:
        self.assertTrue((self.root / "kvd/clients/python/dist" / WHEEL).exists(),
                        "test_2 did not build the wheel")
        app = self.make_app("wheel")
        out = self.run_block("install-wheel", self.root / "wheel")
        self.assertIn("Successfully installed kvd-client-" + VERSION, out)
        self.assertTrue(out.endswith(readme_outputs()), out)
        self.assert_app_uses_its_venv(app)


if __name__ == "__main__":
    unittest.main()
