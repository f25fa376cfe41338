/* noop: the smallest static program, exit(0) from _start with no libc, to
 * measure what starting a process costs (and the peak-RSS floor timeit
 * inherits from itself). Built with -static -nostdlib. */
void _start(void)
{
    __asm__ volatile("mov $60, %eax\n\txor %edi, %edi\n\tsyscall");
}
