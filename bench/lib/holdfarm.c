/* holdfarm: N processes holding files of one filesystem, for the holder
 * scan benchmark.
 *
 *   holdfarm DIR N M PIDFILE
 *
 * DIR holds f0..f{M-1} and map (created here). Child i opens M files on DIR
 * and keeps them open; every child also mmaps DIR/map and closes that fd, so
 * the mapping is its only trace of it. Every 10th child holds the mapping
 * only, to catch a scanner that reads fds but not maps. When all N children
 * are set up, their PIDs go to PIDFILE (one a line, written to PIDFILE.tmp
 * and renamed), and the parent pauses. The parent's cwd is not on DIR and
 * it keeps nothing open there, so exactly the N children hold DIR. Everyone
 * dies with the PID namespace the bench runs this in.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what, const char *path)
{
    fprintf(stderr, "holdfarm: %s %s: ", what, path ? path : "");
    perror(NULL);
    exit(1);
}

static void child(const char *dir, int i, int m, int ready_fd)
{
    char path[4096];
    if (i % 10 != 0) {
        for (int j = 0; j < m; j++) {
            snprintf(path, sizeof path, "%s/f%d", dir, j);
            if (open(path, O_RDONLY | O_CLOEXEC) < 0)
                die("open", path);
        }
    }
    snprintf(path, sizeof path, "%s/map", dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        die("open", path);
    if (mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0) == MAP_FAILED)
        die("mmap", path);
    close(fd);
    if (write(ready_fd, "x", 1) != 1)
        die("write", "ready pipe");
    close(ready_fd);
    for (;;)
        pause();
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: holdfarm DIR N M PIDFILE\n");
        return 2;
    }
    const char *dir = argv[1], *pidfile = argv[4];
    int n = atoi(argv[2]), m = atoi(argv[3]);
    char path[4096];
    for (int j = 0; j < m; j++) {
        snprintf(path, sizeof path, "%s/f%d", dir, j);
        int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
            die("create", path);
        close(fd);
    }
    snprintf(path, sizeof path, "%s/map", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 || ftruncate(fd, 4096) != 0)
        die("create", path);
    close(fd);

    int pipefd[2];
    if (pipe(pipefd) != 0)
        die("pipe", NULL);
    pid_t *pids = calloc((size_t)n, sizeof *pids);
    if (!pids)
        die("calloc", NULL);
    for (int i = 0; i < n; i++) {
        pid_t p = fork();
        if (p < 0)
            die("fork", NULL);
        if (p == 0) {
            close(pipefd[0]);
            child(dir, i, m, pipefd[1]);
        }
        pids[i] = p;
    }
    close(pipefd[1]);
    char buf[256];
    long got = 0;
    while (got < n) {
        ssize_t r = read(pipefd[0], buf, sizeof buf);
        if (r <= 0)
            die("read", "ready pipe (a child died)");
        got += r;
    }
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", pidfile);
    FILE *f = fopen(tmp, "w");
    if (!f)
        die("fopen", tmp);
    for (int i = 0; i < n; i++)
        fprintf(f, "%d\n", pids[i]);
    if (fclose(f) != 0 || rename(tmp, pidfile) != 0)
        die("write", pidfile);
    for (;;)
        pause();
}
