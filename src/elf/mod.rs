//! ELF headers and the dynamic section, as elf(5) describes them: enough to
//! find a program's interpreter and the libraries it needs.
