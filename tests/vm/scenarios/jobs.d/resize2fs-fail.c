/* Stands in for resize2fs to test the way back from a failed resize: a
 * static program, so `rootlift bring` takes it like the real one. It leaves
 * /run/vm/resize2fs-failed behind, the mark e2fsck-fake fails on. */
#include <stdio.h>

int main(void)
{
    FILE *mark = fopen("/run/vm/resize2fs-failed", "w");
    if (mark)
        fclose(mark);
    fprintf(stderr, "resize2fs: failure injected by the test\n");
    return 1;
}
