# shellcheck shell=bash
# The Debian package on the Debian guest, as an administrator installs it:
# `apt install ./rootlift_VERSION_amd64.deb` (no network: the package
# depends on nothing), then the installed `rootlift plan`, --version, the
# man page and the bash completion; then `apt purge` takes it all away.
# Runs last, on one more boot of the run's disk (after the host's fsck), so
# the dpkg database it changes is in no before/after checksum. The package
# is ROOTLIFT_DEB (make e2e builds it with make deb).

scenario_deb() {
    local version deb want_lv
    version=$("$REPO_ROOT/packaging/deb/build" --print-version)
    deb=${ROOTLIFT_DEB:-$REPO_ROOT/target/deb/rootlift_${version}_amd64.deb}
    [[ -f $deb ]] || die "no package at $deb: run 'make deb' first (or set ROOTLIFT_DEB)"
    start_qemu "$RUN_DIR/disk.img"
    wait_ssh "$BOOT_TIMEOUT"
    wait_systemd "$BOOT_TIMEOUT" >/dev/null
    gscp "$deb" "/tmp/$(basename "$deb")"
    gsave deb.install "DEBIAN_FRONTEND=noninteractive apt-get install -y /tmp/$(basename "$deb") && dpkg-query -W -f '\${Status} \${Version}' rootlift"
    check_eq deb-installed "install ok installed $version" "$(tail -n 1 "$RUN_DIR/deb.install")" \
        "apt install ./$(basename "$deb"), then dpkg:"
    gsave deb.which "command -v rootlift; rootlift --version"
    check_eq deb-binary "/usr/sbin/rootlift rootlift $version" "$(paste -sd' ' "$RUN_DIR/deb.which")"
    gsave deb.plan.json rootlift plan --json
    want_lv=$(jq -r '.device_stack | "\(.vg)/\(.lv)"' "$RUN_DIR/plan.json" 2>/dev/null) || want_lv=""
    check_eq deb-plan "vg0/root true" \
        "$(jq -r '.device_stack | "\(.vg)/\(.lv)"' "$RUN_DIR/deb.plan.json" 2>/dev/null) $(jq -r .lift_possible "$RUN_DIR/deb.plan.json" 2>/dev/null)" \
        "the installed rootlift plan --json (the copied one said ${want_lv:-nothing}): device_stack, lift_possible"
    # shellcheck disable=SC2016  # expanded in the guest
    gsave deb.docs 'zcat /usr/share/man/man8/rootlift.8.gz | head -n 20 | grep -c "^\.TH ROOTLIFT 8 .*rootlift '"$version"'"; bash -c "source /usr/share/bash-completion/completions/rootlift; COMP_WORDS=(rootlift shr); COMP_CWORD=1; _rootlift; echo \${COMPREPLY[*]}"'
    check_eq deb-man-and-completion "1 shrink" "$(paste -sd' ' "$RUN_DIR/deb.docs")" "man page title lines, completion of 'shr':"
    gsave deb.purge "DEBIAN_FRONTEND=noninteractive apt-get purge -y rootlift >/dev/null && ls /usr/sbin/rootlift /usr/share/man/man8/rootlift.8.gz /usr/share/doc/rootlift 2>&1 | grep -vc 'No such file'"
    check_eq deb-purged 0 "$(tail -n 1 "$RUN_DIR/deb.purge")" "files left after apt purge:"
    gssh systemctl poweroff >/dev/null 2>&1 || true
    wait_qemu_exit 180 || die "the guest did not power off within 180 s (deb)"
}
