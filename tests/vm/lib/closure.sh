# shellcheck shell=bash
# Copying host files into a guest tree: programs come with the exact shared
# libraries they load, as `ldd` resolves them on the host; for a foreign
# guest (lib/arch.sh), from the guest architecture's packages instead
# (lib/foreign.sh).

# copy_file ROOT SRC DEST: SRC (symlinks followed) to ROOT/DEST, once.
copy_file() {
    local root=$1 src=$2 dest=$3
    [[ -e $root$dest ]] && return 0
    mkdir -p "$root$(dirname "$dest")"
    cp -L --preserve=mode "$src" "$root$dest"
}

# The absolute paths of every library ldd lists for PROGRAM, the loader
# included, nothing for a static program.
libraries_of() {
    local out
    out=$(ldd "$1" 2>&1) || return 0          # "not a dynamic executable"
    if grep -q 'not found' <<<"$out"; then
        die "$1 needs libraries this host does not have: $(grep 'not found' <<<"$out" | tr -s '\t\n' '  ')"
    fi
    awk '$2 == "=>" && $3 ~ /^\// { print $3; next } $1 ~ /^\// { print $1 }' <<<"$out"
}

# Where the host keeps NAME; PATH may lack the sbin directories for non-root.
host_program() {
    PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH command -v "$1" \
        || die "the host has no '$1' (the guest needs it: tests/vm/guest/contents)"
}

# install_program ROOT NAME [ALIAS...]: NAME at ROOT/usr/sbin/NAME with its
# libraries at their own paths; each ALIAS a symlink to it.
install_program() {
    local root=$1 name=$2 src lib alias libs
    shift 2
    if [[ $FOREIGN == yes ]]; then
        src=$(sysroot_program "$name")
        libs=$(sysroot_closure "$src")
        copy_file "$root" "$(sysroot_resolve "$src")" "/usr/sbin/$name"
        for lib in $libs; do
            copy_file "$root" "$(sysroot_resolve "$lib")" "$lib"
        done
    else
        src=$(host_program "$name")
        copy_file "$root" "$src" "/usr/sbin/$name"
        for lib in $(libraries_of "$src"); do
            copy_file "$root" "$lib" "$lib"
        done
    fi
    for alias in "$@"; do
        ln -sfn "$name" "$root/usr/sbin/$alias"
    done
}
