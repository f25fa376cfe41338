/* Stands in for resize2fs to test the way back from a failed resize: a
 * static program, so `rootlift bring` takes it like the real one. */
#include <stdio.h>

int main(void)
{
    fprintf(stderr, "resize2fs: failure injected by the test\n");
    return 1;
}
