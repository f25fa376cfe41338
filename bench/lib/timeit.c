/* timeit: run a command RUNS times and print, per run, its wall time, its
 * peak RSS, its exit status and its CPU time, as
 * `index wall_ns maxrss_kib status user_us sys_us` lines.
 *
 *   timeit [-n RUNS] [-w WARMUP] [-k] -- CMD ARGS... [::: CMD ARGS...]...
 *
 * Several commands (separated by `:::`, numbered from 0 by `index`) are run
 * round-robin, so the ones compared see the same load on a shared machine.
 *
 * Wall time is CLOCK_MONOTONIC from just before fork(2) to wait4(2)'s
 * return, so it includes the exec and the dynamic loader: the whole cost a
 * user pays. Peak RSS is wait4's ru_maxrss (KiB, getrusage(2)), what
 * `/usr/bin/time -v` prints as "Maximum resident set size". The command's
 * stdout and stderr go to /dev/null unless -k (keep). WARMUP runs are done
 * first and not printed. Built static at bench time, so it also runs inside
 * the bench's busybox-only images.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long tv_us(struct timeval tv)
{
    return (long long)tv.tv_sec * 1000000LL + tv.tv_usec;
}

static int run_once(char **argv, int keep, long long *wall, struct rusage *ru)
{
    long long t0 = now_ns();
    /* fork(2), not posix_spawn: a vfork child's peak RSS starts at the
     * parent's whole RSS (exec records the old mm's high-water mark), a
     * fork child's only at the parent's few anonymous pages. */
    pid_t pid = fork();
    if (pid < 0) {
        perror("timeit: fork");
        return -1;
    }
    if (pid == 0) {
        if (!keep) {
            int fd = open("/dev/null", O_WRONLY);
            if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
                _exit(127);
            close(fd);
        }
        execvp(argv[0], argv);
        _exit(127);
    }
    int status;
    while (wait4(pid, &status, 0, ru) < 0) {
        if (errno != EINTR) {
            perror("timeit: wait4");
            return -1;
        }
    }
    *wall = now_ns() - t0;
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
}

#define USAGE "usage: timeit [-n RUNS] [-w WARMUP] [-k] -- CMD ARGS... [::: CMD ARGS...]...\n"
#define MAX_CMDS 8

int main(int argc, char **argv)
{
    int runs = 1, warmup = 0, keep = 0, opt;
    while ((opt = getopt(argc, argv, "+n:w:k")) != -1) {
        switch (opt) {
        case 'n': runs = atoi(optarg); break;
        case 'w': warmup = atoi(optarg); break;
        case 'k': keep = 1; break;
        default: fputs(USAGE, stderr); return 2;
        }
    }
    if (optind >= argc || runs < 1 || warmup < 0) {
        fputs(USAGE, stderr);
        return 2;
    }
    /* Split the rest at ":::" into commands (the separators become the
     * NULLs that end each argv). */
    char **cmds[MAX_CMDS];
    int ncmds = 0;
    cmds[ncmds++] = argv + optind;
    for (int i = optind; i < argc; i++) {
        if (strcmp(argv[i], ":::") == 0) {
            argv[i] = NULL;
            if (ncmds == MAX_CMDS || i + 1 >= argc) {
                fputs(USAGE, stderr);
                return 2;
            }
            cmds[ncmds++] = argv + i + 1;
        }
    }
    /* Round-robin: run i of every command before run i + 1 of any, so
     * that the commands compared share the machine's conditions. */
    for (int i = 0; i < warmup + runs; i++) {
        for (int c = 0; c < ncmds; c++) {
            long long wall;
            struct rusage ru;
            int st = run_once(cmds[c], keep, &wall, &ru);
            if (st < 0)
                return 1;
            if (i >= warmup)
                printf("%d %lld %ld %d %lld %lld\n", c, wall, ru.ru_maxrss, st,
                       tv_us(ru.ru_utime), tv_us(ru.ru_stime));
        }
    }
    return 0;
}
