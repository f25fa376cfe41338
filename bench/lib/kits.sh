# shellcheck shell=bash
# What a lift brings, by kit. Programs go through `rootlift bring` (ELF
# closure); configuration is copied as it is. The sshd kit approximates
# what `enter --ssh` brings: sshd, the PAM modules that
# /etc/pam.d/sshd and its @include files name (dlopened, so not in any
# DT_NEEDED), the NSS modules nsswitch.conf names, and their configuration.

LIBDIR=/usr/lib/x86_64-linux-gnu

shrink_programs() { echo /usr/sbin/e2fsck /usr/sbin/resize2fs /usr/sbin/lvm; }
shrink_files() {
    local f
    for f in /etc/lvm /etc/e2fsck.conf; do [[ -e $f ]] && echo "$f"; done
    return 0
}

# /etc/pam.d/sshd and every file it @includes, recursively (once each).
pam_stack_files() {
    local queue=(/etc/pam.d/sshd) seen=" " f inc
    while ((${#queue[@]} > 0)); do
        f=${queue[0]}
        queue=("${queue[@]:1}")
        [[ -f $f && $seen != *" $f "* ]] || continue
        seen+="$f "
        echo "$f"
        while read -r inc; do
            queue+=("/etc/pam.d/$inc")
        done < <(awk '$1 == "@include" {print $2}' "$f")
    done
}

sshd_programs() {
    echo /usr/sbin/sshd
    local m
    # shellcheck disable=SC2046,SC2013  # one word per file and per module
    for m in $(grep -v '^[[:space:]]*#' $(pam_stack_files) | grep -oh 'pam_[A-Za-z0-9_]*\.so' | sort -u); do
        [[ -f $LIBDIR/security/$m ]] && echo "$LIBDIR/security/$m"
    done
    # files and dns are built into glibc >= 2.34; the others are modules.
    for m in $(awk -F: '$1 ~ /^(passwd|group|shadow)$/ {print $2}' /etc/nsswitch.conf | tr ' ' '\n' | grep -v '^\[' | sort -u); do
        [[ -f $LIBDIR/libnss_$m.so.2 ]] && echo "$LIBDIR/libnss_$m.so.2"
    done
    return 0
}

sshd_files() {
    local f
    for f in /etc/ssh /etc/passwd /etc/group /etc/shadow /etc/gshadow /etc/nsswitch.conf \
        /etc/security /etc/environment /etc/default/locale /root/.ssh/authorized_keys $(pam_stack_files); do
        [[ -e $f ]] && echo "$f"
    done
    return 0
}

# The directories the manual procedure copies, and the how-to's full list
# minus /dev (docs/design.md, "What it replaces").
manual_dirs() { echo /bin /sbin /lib /lib64 /usr/bin /usr/sbin /usr/lib /usr/lib64 /etc; }
howto_dirs() {
    local d
    for d in /bin /etc /mnt /sbin /lib /lib64 /run /usr/bin /usr/sbin /usr/lib /usr/lib64 \
        /var/account /var/empty /var/lib /var/local /var/lock /var/nis /var/opt /var/preserve \
        /var/run /var/spool /var/tmp /var/yp; do
        [[ -e $d || -L $d ]] && echo "$d"
    done
    return 0
}
