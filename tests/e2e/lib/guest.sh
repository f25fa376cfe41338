# shellcheck shell=bash disable=SC2034  # sets GUEST_* for the report
# The cached guest of the profile in target/e2e/PROFILE/guest/: built once
# by build-guest, rebuilt when its recipe (the build scripts, the profile,
# guest/FEATURE/* of its features, the test key) changes. The .debs are
# shared by every profile (target/e2e/debs/).

# The Debian mirror this machine's apt uses for bookworm (deb822 .sources
# first, then sources.list); never a host name written down here.
apt_mirror() {
    local f uri=""
    for f in /etc/apt/sources.list.d/*.sources; do
        [[ -f $f ]] || continue
        uri=$(awk '
            BEGIN { RS = ""; FS = "\n" }
            {
                deb = 0; suite = 0; on = 1; u = ""
                for (i = 1; i <= NF; i++) {
                    if ($i ~ /^Types:/ && $i ~ /[[:space:]]deb([[:space:]]|$)/) deb = 1
                    if ($i ~ /^Suites:/ && $i ~ /[[:space:]]bookworm([[:space:]]|$)/) suite = 1
                    if ($i ~ /^Enabled:[[:space:]]*no/) on = 0
                    if ($i ~ /^URIs:/) { split($i, w, /[[:space:]]+/); u = w[2] }
                }
                if (deb && suite && on && u != "") { print u; exit }
            }' "$f")
        [[ -n $uri ]] && break
    done
    if [[ -z $uri && -f /etc/apt/sources.list ]]; then
        uri=$(sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\{0,1\}\([^[:space:]]\+\)[[:space:]]\+bookworm[[:space:]].*/\2/p' \
            /etc/apt/sources.list | head -n 1)
    fi
    [[ -n $uri ]] || die "no 'bookworm' deb source in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list"
    echo "$uri"
}

# The test's SSH key pair, made once.
ensure_key() {
    [[ -f $KEY && -f $KEY.pub ]] && return 0
    mkdir -p "$E2E_OUT"
    rm -f "$KEY" "$KEY.pub"
    ssh-keygen -q -t ed25519 -N '' -C rootlift-e2e -f "$KEY"
}

_guest_recipe() {
    local f
    for f in "$E2E_SRC/build-guest" "$E2E_SRC"/lib/{profile,chroot,features,image,provision}.sh \
        "$E2E_SRC/profiles/$PROFILE.sh" "$E2E_SRC"/guest/base/* "$KEY.pub"; do
        echo "== ${f#"$E2E_SRC"/}"
        cat "$f"
    done
    for f in "${P_FEATURES[@]}"; do
        [[ -d $E2E_SRC/guest/$f ]] || continue
        find "$E2E_SRC/guest/$f" -type f -print0 | sort -z | xargs -0 -r sha256sum | sed "s|$E2E_SRC/||"
    done
}

# ensure_guest sets GUEST_BUILD_SECONDS (of the build that made the guest)
# and GUEST_CACHED (yes when this run built nothing).
ensure_guest() {
    local hash t0 log=$PROFILE_OUT/guest-build.log
    ensure_key
    hash=$(_guest_recipe | sha256sum | cut -d' ' -f1)
    if [[ -f $GUEST_DIR/disk.img && $(cat "$GUEST_DIR/recipe" 2>/dev/null) == "$hash" ]]; then
        GUEST_CACHED=yes
        GUEST_BUILD_SECONDS=$(cat "$GUEST_DIR/build-seconds" 2>/dev/null || true)
        return 0
    fi
    GUEST_CACHED=no
    mkdir -p "$PROFILE_OUT"
    [[ $(id -u) == 0 ]] || die "building the guest needs root (debootstrap, chroot, loop devices)"
    local mirror
    mirror=$(apt_mirror)
    say "building the $PROFILE guest (once; cached in ${GUEST_DIR#"$REPO_ROOT"/}; log: ${log#"$REPO_ROOT"/})"
    t0=$(stamp)
    if ! PROFILE=$PROFILE nice -n 10 unshare --mount --propagation private "$E2E_SRC/build-guest" \
        "$GUEST_DIR.new" "$mirror" "$KEY.pub" >"$log" 2>&1; then
        tail -n 30 "$log" | sed 's/^/    /' >&2
        die "building the guest failed (see ${log#"$REPO_ROOT"/})"
    fi
    echo "$hash" >"$GUEST_DIR.new/recipe"
    GUEST_BUILD_SECONDS=$(secs "$t0" "$(stamp)")
    echo "$GUEST_BUILD_SECONDS" >"$GUEST_DIR.new/build-seconds"
    rm -rf "$GUEST_DIR" && mv "$GUEST_DIR.new" "$GUEST_DIR"
    say "guest built in $GUEST_BUILD_SECONDS s ($(du -h "$GUEST_DIR/disk.img" | cut -f1) used of the image)"
}
