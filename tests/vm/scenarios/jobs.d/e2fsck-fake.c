/* Stands in for e2fsck as /usr/local/sbin/e2fsck, which a job finds before
 * /usr/sbin/e2fsck; static, so the lift brings it as it is, and the real
 * one comes into the tmpfs with `--bring /usr/sbin/e2fsck`. Files in /run/vm
 * (the same tmpfs before, during and after a lift) steer it:
 *   /run/vm/resize2fs-failed (left by resize2fs-fail): exit 8, an e2fsck
 *     that cannot run, so the repair after the failed resize2fs fails too;
 *   /run/vm/e2fsck-slow: wait 3 s first, so that an abort lands while the
 *     job's e2fsck step runs;
 * otherwise, and after the wait, the real /usr/sbin/e2fsck with the same
 * arguments in this process. */
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    (void)argc;
    if (access("/run/vm/resize2fs-failed", F_OK) == 0) {
        fprintf(stderr, "e2fsck: failure injected by the test (exit 8)\n");
        return 8;
    }
    if (access("/run/vm/e2fsck-slow", F_OK) == 0)
        sleep(3);
    argv[0] = "/usr/sbin/e2fsck";
    execv(argv[0], argv);
    perror("e2fsck-fake: execv /usr/sbin/e2fsck");
    return 8;
}
