/* libFuzzer harness for fs_path_parse, the gate between a host's file names
 * and the storage directory.  The oracle is the safety property itself: a
 * name that passes joins under the storage directory without leaving it. */
#include <string.h>

#include "fs_path.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fs_path p;
    if (fs_path_parse((const char *)data, size, &p) < 0)
        return 0;
    FUZZ_CHECK(p.depth >= 0 && p.depth <= FS_DEPTH_MAX);
    size_t total = 0;
    for (int i = 0; i < p.depth; i++) {
        const char *n = p.name[i];
        size_t len = strlen(n);
        FUZZ_CHECK(len >= 1 && len <= FS_NAME_MAX);
        /* The store's filter for host entries agrees with the parser. */
        FUZZ_CHECK(fs_path_name_ok(n, len));
        FUZZ_CHECK(strcmp(n, ".") != 0 && strcmp(n, "..") != 0);
        FUZZ_CHECK(strchr(n, '/') == NULL && strchr(n, '\\') == NULL);
        for (size_t k = 0; k < len; k++)
            FUZZ_CHECK((unsigned char)n[k] >= 0x20 && (unsigned char)n[k] < 0x7f);
        total += len + 1;
    }
    FUZZ_CHECK(total <= FS_PATH_MAX);
    return 0;
}
