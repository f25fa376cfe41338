# shellcheck shell=bash
# ansible-lint and ansible-test sanity on the laid-out collection. Sanity
# runs every test it has for the venv's Python version (--python): the
# other versions' compile and import tests need interpreters this machine
# does not have. Each test's linters come from PyPI into ansible-test's own
# venvs under target/ansible/home.

run_lint() {
    local log=$ANSIBLE_OUT/lint.log
    say "ansible-lint (log: ${log#"$REPO_ROOT"/})"
    # ANSIBLE_HOME and the project dir under target/: ansible-lint installs
    # the collection it checks into ANSIBLE_HOME and caches in .ansible.
    (
        cd "$COLLECTION"
        ANSIBLE_HOME=$ANSIBLE_OUT/home ANSIBLE_COLLECTIONS_PATH=$COLLECTIONS \
            PATH=$VENV/bin:$PATH "$VENV/bin/ansible-lint" --nocolor --project-dir "$COLLECTION"
    ) >"$log" 2>&1 || { tail -n 40 "$log" >&2; die "ansible-lint found problems"; }
    say "ansible-lint: $(grep -E '^(Passed|Failed)' "$log" | tail -n 1)"
    run_sanity
}

run_sanity() {
    local log=$ANSIBLE_OUT/sanity.log py home=$ANSIBLE_OUT/home pip_version
    py=$("$VENV/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    # ansible-test keeps its venvs and caches in ~/.ansible/test: HOME is
    # under target/. It downloads pip's bootstrap script from a host out of
    # reach before it installs each test's requirements from PyPI: our
    # stand-in goes where it looks for a cached copy.
    pip_version=$("$VENV/bin/python" -c 'from ansible_test._internal.python_requirements import get_pip_version as v; print(v())' 2>/dev/null) \
        || pip_version=$(grep -o "pip='[0-9.]*'" "$(_ansible_test_dir)/_internal/python_requirements.py" | head -n 1 | tr -dc '0-9.')
    [[ -n $pip_version ]] || die "cannot tell which pip version ansible-test bootstraps"
    mkdir -p "$home/.ansible/test/cache"
    cp "$ANSIBLE_SRC/get_pip.py" "$home/.ansible/test/cache/get_pip_${pip_version//./_}.py"
    say "ansible-test sanity --python $py (log: ${log#"$REPO_ROOT"/})"
    (
        cd "$COLLECTION"
        HOME=$home ANSIBLE_HOME=$home PATH=$VENV/bin:$PATH \
            "$VENV/bin/ansible-test" sanity --color no --python "$py"
    ) >"$log" 2>&1 || { tail -n 40 "$log" >&2; die "ansible-test sanity failed"; }
    say "ansible-test sanity: $(grep -c '^Running sanity test' "$log") tests run, all passed"
    log=$ANSIBLE_OUT/units.log
    say "ansible-test units --python $py (log: ${log#"$REPO_ROOT"/})"
    (
        cd "$COLLECTION"
        HOME=$home ANSIBLE_HOME=$home PATH=$VENV/bin:$PATH \
            "$VENV/bin/ansible-test" units --color no --venv --python "$py"
    ) >"$log" 2>&1 || { tail -n 40 "$log" >&2; die "ansible-test units failed"; }
    say "ansible-test units: $(grep -E '[0-9]+ passed' "$log" | tail -n 1)"
}

_ansible_test_dir() {
    "$VENV/bin/python" -c 'import ansible_test, os; print(os.path.dirname(ansible_test.__file__))'
}
