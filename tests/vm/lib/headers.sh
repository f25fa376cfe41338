# shellcheck shell=bash disable=SC2034  # sets TIMEOUT, MEM, PID1 for the other files
# A scenario declares what its VM needs in comment lines of its own script:
#   # vm-disk: KIND SIZE [SRC]   one per disk, /dev/vda, /dev/vdb... in order
#   # vm-timeout: SECONDS        whole boot, default 180
#   # vm-mem: MIB                guest RAM, default 1024
#   # vm-pid1: yes               /init execs the scenario, which becomes PID 1
# read_headers SCENARIO sets DISK_SPECS (array), TIMEOUT, MEM and PID1.

read_headers() {
    local file=$1 line key value
    DISK_SPECS=()
    TIMEOUT=180
    MEM=1024
    PID1=no
    while IFS= read -r line; do
        [[ $line =~ ^#[[:space:]]*vm-([a-z0-9-]+):[[:space:]]*(.*[^[:space:]])[[:space:]]*$ ]] || continue
        key=${BASH_REMATCH[1]} value=${BASH_REMATCH[2]}
        case $key in
            disk) DISK_SPECS+=("$value") ;;
            timeout) [[ $value =~ ^[0-9]+$ ]] || die "$file: vm-timeout '$value' is not a number of seconds"
                TIMEOUT=$value ;;
            mem) [[ $value =~ ^[0-9]+$ ]] || die "$file: vm-mem '$value' is not a number of MiB"
                MEM=$value ;;
            pid1) [[ $value == yes || $value == no ]] || die "$file: vm-pid1 is yes or no, not '$value'"
                PID1=$value ;;
            *) die "$file: unknown header vm-$key (see tests/vm/README.md)" ;;
        esac
    done <"$file"
}
