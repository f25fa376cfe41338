# shellcheck shell=bash
# A foreign guest's programs (lib/arch.sh: FOREIGN=yes): Debian packages of
# its architecture, downloaded with a private apt state under target/ and
# unpacked into a sysroot, never installed. The private apt reads the host's
# own sources (/etc/apt/sources.list[.d]), so no mirror is named here; only
# APT::Architecture differs. Libraries are resolved with readelf, which
# reads any architecture's ELF (ldd can only run the host's).

GUEST_APT=$VM_OUT/apt           # the private apt's lists, cache and status
SYSROOT=$VM_OUT/sysroot         # the unpacked packages

_guest_apt_opts() {
    printf '%s\n' -o "APT::Architecture=$DEB_ARCH" -o "APT::Architectures::=$DEB_ARCH" \
        -o "Dir::State=$GUEST_APT/state" -o "Dir::State::status=$GUEST_APT/status" \
        -o "Dir::Cache=$GUEST_APT/cache" -o Debug::NoLocking=1 -o APT::Sandbox::User=root
}

# guest_apt_cache ARGS...: apt-cache for the guest's architecture (the
# host's own when the guest is not foreign).
guest_apt_cache() {
    [[ $FOREIGN == yes ]] || { apt-cache "$@"; return; }
    local -a o
    mapfile -t o < <(_guest_apt_opts)
    apt-cache "${o[@]}" "$@"
}

# guest_apt_download DIR PACKAGE...: the .debs into DIR.
guest_apt_download() {
    local dir=$1 o=()
    shift
    [[ $FOREIGN == yes ]] && mapfile -t o < <(_guest_apt_opts)
    (cd "$dir" && apt-get -qq -o APT::Sandbox::User=root "${o[@]}" download "$@")
}

# The private package lists, refreshed when older than a day.
ensure_guest_apt() {
    [[ $FOREIGN == yes ]] || return 0
    local lists=$GUEST_APT/state/lists
    if [[ -n $(find "$lists" -maxdepth 1 -name '*_Packages*' -mtime -1 2>/dev/null | head -n 1) ]]; then
        return 0
    fi
    mkdir -p "$lists/partial" "$GUEST_APT/cache/archives/partial"
    touch "$GUEST_APT/status"
    say "apt-get update for $DEB_ARCH (private lists in ${GUEST_APT#"$REPO_ROOT"/})"
    local -a o
    mapfile -t o < <(_guest_apt_opts)
    apt-get -qq "${o[@]}" update || die "apt-get update for $DEB_ARCH failed (network? apt sources?)"
}

# The host package that has PROGRAM (a usr-merged host lists /sbin/X as
# /usr/sbin/X, its package says /sbin/X).
_host_package_of() {
    local f=$1
    { dpkg -S "$f" 2>/dev/null || dpkg -S "${f#/usr}" 2>/dev/null; } | head -n 1 | cut -d: -f1
}

# The packages the base image's programs come from, and every library
# package they depend on (recursively): the sysroot's contents.
_sysroot_packages() {
    local kind name rest pkgs=(busybox-static)
    while read -r kind name rest; do
        [[ $kind == program ]] || continue
        pkgs+=("$(_host_package_of "$(host_program "$name")")")
    done < <(grep -v '^[[:space:]]*\(#\|$\)' "$VM_SRC/guest/contents")
    printf '%s\n' "${pkgs[@]}"
    guest_apt_cache depends --recurse --no-recommends --no-suggests --no-conflicts \
        --no-breaks --no-replaces --no-enhances "${pkgs[@]}" | awk '/^lib/ { print }'
}

# The sysroot, rebuilt when the package set or their versions change.
ensure_sysroot() {
    [[ $FOREIGN == yes ]] || return 0
    ensure_guest_apt
    local pkgs stamp=$SYSROOT.recipe want
    pkgs=$(_sysroot_packages | LC_ALL=C sort -u)
    # shellcheck disable=SC2086  # one word per package
    want=$(guest_apt_cache policy $pkgs | sha256sum | cut -d' ' -f1)
    [[ -d $SYSROOT && $(cat "$stamp" 2>/dev/null) == "$want" ]] && return 0
    local tmp=$SYSROOT.new deb t0
    t0=$(now)
    rm -rf "$tmp" && mkdir -p "$tmp/debs"
    say "downloading $(wc -w <<<"$pkgs") $DEB_ARCH packages for the guest's programs"
    # shellcheck disable=SC2086  # one word per package
    guest_apt_download "$tmp/debs" $pkgs || die "cannot download the $DEB_ARCH packages: $(paste -sd' ' <<<"$pkgs")"
    for deb in "$tmp"/debs/*.deb; do
        dpkg-deb -x "$deb" "$tmp/root" || die "cannot unpack $deb"
    done
    rm -rf "$SYSROOT" && mv "$tmp/root" "$SYSROOT" && rm -rf "$tmp"
    echo "$want" >"$stamp"
    say "sysroot: $(du -sh "$SYSROOT" | cut -f1) in $(elapsed "$t0")"
}

# sysroot_resolve PATH: the sysroot file that the guest path PATH is, with
# every symlink followed inside the sysroot (an absolute link target means
# the sysroot's, never the host's).
sysroot_resolve() {
    local path=$1 hops=0 target
    while [[ -L $SYSROOT$path ]]; do
        ((hops++ < 16)) || die "too many symlinks at $path in the $DEB_ARCH sysroot"
        target=$(readlink "$SYSROOT$path")
        [[ $target == /* ]] || target=$(dirname "$path")/$target
        path=$(realpath -m -s "$target")
    done
    [[ -e $SYSROOT$path ]] || return 1
    echo "$SYSROOT$path"
}

# sysroot_program NAME: the guest path of NAME in the sysroot.
sysroot_program() {
    local d
    for d in /usr/sbin /sbin /usr/bin /bin; do
        sysroot_resolve "$d/$1" >/dev/null && { echo "$d/$1"; return 0; }
    done
    die "no $1 in the $DEB_ARCH packages (guest/contents names it)"
}

# sysroot_closure PATH: the guest paths of PATH's program interpreter and
# every library it needs, recursively (DT_NEEDED, searched in Debian's
# multiarch and plain directories, as ld.so would without a cache).
sysroot_closure() {
    local -a todo=("$1") dirs=("/lib/$VM_ARCH-linux-gnu" "/usr/lib/$VM_ARCH-linux-gnu" /lib /usr/lib)
    local -A seen=()
    local file real lib d interp found
    while ((${#todo[@]} > 0)); do
        file=${todo[0]} todo=("${todo[@]:1}")
        real=$(sysroot_resolve "$file") || die "$file is not in the $DEB_ARCH sysroot"
        interp=$(readelf -lW "$real" 2>/dev/null | sed -n 's/.*Requesting program interpreter: \(.*\)\]$/\1/p')
        if [[ -n $interp && -z ${seen[$interp]:-} ]]; then
            seen[$interp]=1
            echo "$interp"
        fi
        while read -r lib; do
            found=""
            for d in "${dirs[@]}"; do
                sysroot_resolve "$d/$lib" >/dev/null && { found=$d/$lib; break; }
            done
            [[ -n $found ]] || die "$file needs $lib, which no $DEB_ARCH package of the sysroot has"
            [[ -n ${seen[$found]:-} ]] && continue
            seen[$found]=1
            echo "$found"
            todo+=("$found")
        done < <(readelf -dW "$real" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p')
    done
}
