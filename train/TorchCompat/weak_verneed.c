/* weak_verneed FILE VERSION: sets VER_FLG_WEAK on every .gnu.version_r (verneed) entry of the ELF64 FILE named VERSION,
 * in place, so the dynamic loader accepts a libstdc++ that lacks that version (a missing weak version is not an error).
 * Exit 0 when the entry is (now) weak, 1 when FILE has no such entry, 2 on any error. Idempotent.
 * Used by install.sh on libLibTorchSharp.so (TorchSharp 0.107, built with GCC 13), whose only GLIBCXX_3.4.32 symbol is
 * std::ios_base_library_init(); libtk_iosinit.so supplies that symbol where libstdc++ (GCC < 13) does not. */
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 3) { fprintf(stderr, "usage: weak_verneed FILE VERSION\n"); return 2; }
    int fd = open(argv[1], O_RDWR);
    if (fd < 0) { perror(argv[1]); return 2; }
    struct stat st;
    if (fstat(fd, &st) != 0) { perror(argv[1]); return 2; }
    unsigned char *base = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED) { perror("mmap"); return 2; }
    Elf64_Ehdr *eh = (Elf64_Ehdr *)base;
    if (st.st_size < (off_t)sizeof *eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64)
    { fprintf(stderr, "%s: not an ELF64 file\n", argv[1]); return 2; }
    Elf64_Shdr *sh = (Elf64_Shdr *)(base + eh->e_shoff);
    int found = 0;
    for (int i = 0; i < eh->e_shnum; i++)
    {
        if (sh[i].sh_type != SHT_GNU_verneed) continue;
        const char *strtab = (const char *)(base + sh[sh[i].sh_link].sh_offset);
        unsigned char *p = base + sh[i].sh_offset;
        for (Elf64_Word n = 0; n < sh[i].sh_info; n++)
        {
            Elf64_Verneed *vn = (Elf64_Verneed *)p;
            unsigned char *q = p + vn->vn_aux;
            for (Elf64_Half a = 0; a < vn->vn_cnt; a++)
            {
                Elf64_Vernaux *aux = (Elf64_Vernaux *)q;
                if (strcmp(strtab + aux->vna_name, argv[2]) == 0)
                {
                    if (!(aux->vna_flags & VER_FLG_WEAK))
                        printf("%s: %s needed from %s marked weak\n", argv[1], argv[2], strtab + vn->vn_file);
                    aux->vna_flags |= VER_FLG_WEAK;
                    found = 1;
                }
                if (aux->vna_next == 0) break;
                q += aux->vna_next;
            }
            if (vn->vn_next == 0) break;
            p += vn->vn_next;
        }
    }
    if (msync(base, (size_t)st.st_size, MS_SYNC) != 0) { perror("msync"); return 2; }
    munmap(base, (size_t)st.st_size);
    close(fd);
    if (!found) fprintf(stderr, "%s: no verneed entry %s\n", argv[1], argv[2]);
    return found ? 0 : 1;
}
