/* killat JOURNAL REGEX: waits for a line matching REGEX to be appended to
 * the journal and SIGKILLs the worker (the pid of the last "job.worker pid=N"
 * line) at once. Prints "hit" when the worker was alive at that moment,
 * "finished" when "job.done" came first. Polls every 0.5 ms, spawning
 * nothing, so the kill lands right after the step it aims at. */
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: killat JOURNAL REGEX\n");
        return 2;
    }
    regex_t re;
    if (regcomp(&re, argv[2], REG_EXTENDED | REG_NOSUB) != 0) {
        fprintf(stderr, "killat: bad regex\n");
        return 2;
    }
    struct stat st;
    long offset = stat(argv[1], &st) == 0 ? (long)st.st_size : 0;
    char line[4096];
    size_t len = 0;
    long worker = 0;
    for (int waited = 0; waited < 240000; waited++) { /* 120 s */
        FILE *f = fopen(argv[1], "r");
        if (f && fseek(f, offset, SEEK_SET) == 0) {
            int c;
            while ((c = fgetc(f)) != EOF) {
                offset++;
                if (c != '\n') {
                    if (len < sizeof line - 1)
                        line[len++] = (char)c;
                    continue;
                }
                line[len] = 0;
                len = 0;
                const char *w = strstr(line, " job.worker pid=");
                if (w)
                    worker = atol(w + strlen(" job.worker pid="));
                if (regexec(&re, line, 0, NULL, 0) == 0) {
                    int hit = worker > 0 && kill((pid_t)worker, SIGKILL) == 0;
                    puts(hit ? "hit" : "miss");
                    return 0;
                }
                if (strstr(line, " job.done ")) {
                    puts("finished");
                    return 0;
                }
            }
        }
        if (f)
            fclose(f);
        usleep(500);
    }
    puts("timeout");
    return 1;
}
