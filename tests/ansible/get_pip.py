"""Stand-in for pip's bootstrap script (get-pip.py), which ansible-test
downloads from a host this machine cannot reach before it installs each
sanity test's requirements. It does the same job from what is here: the pip
wheel bundled with Python (ensurepip), then `pip install` of the packages
ansible-test asks for (pip==VERSION ...) from PyPI.

tests/ansible/lib/lint.sh puts it where ansible-test looks for a cached
copy; ansible-test runs it with pip's own options as arguments."""

import subprocess
import sys

# get-pip.py's own switches; plain pip does not know them.
OWN = ("--no-setuptools", "--no-wheel")

subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"])
subprocess.check_call(
    [sys.executable, "-m", "pip", "install"] + [a for a in sys.argv[1:] if a not in OWN]
)
