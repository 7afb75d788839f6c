#include "fs_path.h"

#include <string.h>

static bool name_char_ok(unsigned char c)
{
    if (c < 0x20 || c >= 0x7f)
        return false;
    return strchr("/:*?\"<>|,\\", c) == NULL;
}

bool fs_path_name_ok(const char *name, size_t len)
{
    if (len == 0 || len > FS_NAME_MAX)
        return false;
    if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
        return false;
    for (size_t k = 0; k < len; k++)
        if (!name_char_ok((unsigned char)name[k]))
            return false;
    return true;
}

int fs_path_parse(const char *text, size_t len, struct fs_path *out)
{
    memset(out, 0, sizeof(*out));
    /* One pair of surrounding quotes is optional everywhere (our choice where the manual is
     * silent). */
    if (len >= 2 && text[0] == '"' && text[len - 1] == '"') {
        text++;
        len -= 2;
    }
    if (len > FS_PATH_MAX || len < 3)
        return -1;
    /* Drive C: only (as client libraries use it), either case. */
    if ((text[0] != 'C' && text[0] != 'c') || text[1] != ':' || text[2] != '\\')
        return -1;
    size_t i = 3;
    while (i < len) {
        size_t start = i;
        while (i < len && text[i] != '\\')
            i++;
        size_t n = i - start;
        /* An empty component ("\\"), one too long, ".", "..", a bad byte. */
        if (out->depth >= FS_DEPTH_MAX || !fs_path_name_ok(text + start, n))
            return -1;
        memcpy(out->name[out->depth], text + start, n);
        out->name[out->depth][n] = '\0';
        out->depth++;
        if (i < len) {
            i++; /* the separator */
            if (i == len)
                out->trailing_sep = true;
        }
    }
    return 0;
}
