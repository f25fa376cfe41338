# shellcheck shell=bash
# A virtualenv under target/ansible with ansible-core and ansible-lint from
# PyPI (never a system-wide pip), and the collection laid out where
# ansible-test and ansible-playbook look for it.

ANSIBLE_OUT=$REPO_ROOT/target/ansible
VENV=$ANSIBLE_OUT/venv
# Pinned, so a run is the same run tomorrow.
ANSIBLE_PIP=(ansible-core==2.19.14 ansible-lint==26.10.1)
# Where the collection is laid out (the guest run lays its own copy, so a
# lint run meanwhile does not pull it from under a playbook).
COLLECTIONS=$ANSIBLE_OUT/collections

# ensure_venv: the venv exists and holds the pinned versions.
ensure_venv() {
    local want have
    want=$(printf '%s\n' "${ANSIBLE_PIP[@]}" | sort | paste -sd' ' -)
    have=$(cat "$VENV/.pinned" 2>/dev/null || true)
    [[ -x $VENV/bin/ansible-playbook && $have == "$want" ]] && return 0
    say "making the virtualenv ${VENV#"$REPO_ROOT"/} (${ANSIBLE_PIP[*]})"
    python3 -m venv --clear "$VENV" || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
    "$VENV/bin/pip" install -q --disable-pip-version-check "${ANSIBLE_PIP[@]}" >"$ANSIBLE_OUT/pip.log" 2>&1 \
        || die "pip install ${ANSIBLE_PIP[*]} failed (see ${ANSIBLE_OUT#"$REPO_ROOT"/}/pip.log)"
    echo "$want" >"$VENV/.pinned"
}

# lay_collection: a fresh copy of ansible/ at
# COLLECTIONS/ansible_collections/rootlift/live, COLLECTION (ansible-test
# runs from there; the playbooks find the collection through COLLECTIONS).
lay_collection() {
    COLLECTION=$COLLECTIONS/ansible_collections/rootlift/live
    rm -rf "$COLLECTION"
    mkdir -p "$COLLECTION"
    cp -a "$REPO_ROOT/ansible/." "$COLLECTION/"
    # ansible-test lists the files with git; under target/ the worktree's
    # .gitignore would hide them all, so the copy is a repository of its own.
    git -C "$COLLECTION" init -q
}
