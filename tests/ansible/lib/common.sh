# shellcheck shell=bash disable=SC2034  # sets paths for the other files
# Paths and messages of the Ansible harness.

ANSIBLE_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)   # tests/ansible
REPO_ROOT=$(cd "$ANSIBLE_SRC/../.." && pwd)

say() { printf 'ansible: %s\n' "$*" >&2; }
die() { printf 'ansible: FAIL %s\n' "$*" >&2; exit 1; }
