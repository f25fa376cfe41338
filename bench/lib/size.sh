# shellcheck shell=bash
# Item 1: binary size. The static rootlift vs Debian's static rescue tools
# (busybox-static, e2fsck-static), and vs what the dynamic e2fsck really
# occupies once its library closure is counted (rootlift bring).

size_section() {
    say "1/6 binary size"
    local name path
    for name in rootlift busybox-static e2fsck-static; do
        case $name in
            rootlift) path=$ROOTLIFT_BIN ;;  # the run's snapshot of $ROOTLIFT_SRC
            busybox-static) path=$(dpkg -L busybox-static | grep -m1 '/busybox$') ;;
            e2fsck-static) path=$(dpkg -L e2fsck-static | grep -m1 '/e2fsck.static$') ;;
        esac
        [[ -f $path ]] || die "no $name binary at '$path'"
        if [[ $name == rootlift ]]; then
            rec size "$name" "$name" path "${ROOTLIFT_SRC#"$REPO_ROOT"/}"
        else
            rec size "$name" "$name" path "$path"
        fi
        rec size "$name" "$name" bytes "$(stat -c %s "$path")"
        rec size "$name" "$name" file "$(file -b "$path")"
        rec size "$name" "$name" version "$(size_version "$name" "$path")"
    done
    # The dynamic e2fsck as the shrink kit carries it: binary + closure.
    local dest=$BENCH_WORK/size-e2fsck-closure
    "$ROOTLIFT_BIN" bring "$dest" /usr/sbin/e2fsck >/dev/null \
        || die "rootlift bring $dest /usr/sbin/e2fsck failed"
    rec size e2fsck-dynamic "e2fsck + closure" bytes "$(find "$dest" -type f -printf '%s\n' | awk '{s += $1} END {printf "%.0f\n", s}')"
    rec size e2fsck-dynamic "e2fsck + closure" files "$(find "$dest" -type f | wc -l)"
    rec size e2fsck-dynamic "e2fsck + closure" cmd "rootlift bring DEST /usr/sbin/e2fsck; sum of regular file sizes"
}

size_version() {
    case $1 in
        rootlift) "$2" --version 2>/dev/null | head -n1 ;;
        busybox-static) dpkg-query -W -f='${Version}' busybox-static ;;
        e2fsck-static) dpkg-query -W -f='${Version}' e2fsck-static ;;
    esac
}
