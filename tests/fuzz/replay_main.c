/* A main() for the fuzz harnesses when libFuzzer is not linked in: runs
 * LLVMFuzzerTestOneInput once over every file named on the command line,
 * descending into directories, so the seed corpus (and any crash file kept
 * as a regression) runs in every CI build, with any compiler. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 4096, len = 0;
    uint8_t *buf = malloc(cap);
    if (!buf)
        abort();
    size_t n;
    while ((n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            if (!buf)
                abort();
        }
    }
    int err = ferror(f);
    fclose(f);
    if (err) {
        fprintf(stderr, "replay: %s: read error\n", path);
        free(buf);
        return -1;
    }
    /* An exact-size copy, so a sanitizer sees reads past the input's end. */
    uint8_t *exact = malloc(len ? len : 1);
    if (!exact)
        abort();
    memcpy(exact, buf, len);
    free(buf);
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    return 0;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs path (a file, or every entry of a directory in name order); returns
 * the number of inputs run, or -1 on an error. */
static long run_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode))
        return run_file(path) == 0 ? 1 : -1;

    DIR *d = opendir(path);
    if (!d) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t count = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (count == cap) {
            cap = cap ? cap * 2 : 64;
            names = realloc(names, cap * sizeof(*names));
            if (!names)
                abort();
        }
        size_t n = strlen(path) + 1 + strlen(e->d_name) + 1;
        names[count] = malloc(n);
        if (!names[count])
            abort();
        snprintf(names[count], n, "%s/%s", path, e->d_name);
        count++;
    }
    closedir(d);
    if (count > 0)
        qsort(names, count, sizeof(*names), name_cmp);
    long total = 0;
    for (size_t i = 0; i < count; i++) {
        long r = total >= 0 ? run_path(names[i]) : 0;
        if (r < 0)
            total = -1;
        else if (total >= 0)
            total += r;
        free(names[i]);
    }
    free(names);
    return total;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE_OR_DIR...\n", argv[0]);
        return 2;
    }
    long total = 0;
    for (int i = 1; i < argc; i++) {
        long r = run_path(argv[i]);
        if (r < 0)
            return 1;
        total += r;
    }
    printf("replayed %ld input(s)\n", total);
    /* An empty corpus means a wrong path, not a pass. */
    return total > 0 ? 0 : 1;
}
