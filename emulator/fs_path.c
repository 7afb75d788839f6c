#include "fs_path.h"

#include <string.h>

static bool name_char_ok(unsigned char c)
{
    if (c < 0x20 || c >= 0x7f)
        return false;
    return strchr("/:*?\"<>|,\\", c) == NULL;
}

int fs_path_parse(const char *text, size_t len, struct fs_path *out)
{
    memset(out, 0, sizeof(*out));
    /* One pair of surrounding quotes is optional everywhere (fs.md 6). */
    if (len >= 2 && text[0] == '"' && text[len - 1] == '"') {
        text++;
        len -= 2;
    }
    if (len > FS_PATH_MAX || len < 3)
        return -1;
    /* Drive C: only (fs.md 1), either case. */
    if ((text[0] != 'C' && text[0] != 'c') || text[1] != ':' || text[2] != '\\')
        return -1;
    size_t i = 3;
    while (i < len) {
        size_t start = i;
        while (i < len && text[i] != '\\')
            i++;
        size_t n = i - start;
        if (n == 0 || n > FS_NAME_MAX || out->depth >= FS_DEPTH_MAX)
            return -1; /* an empty component ("\\") or one too long or deep */
        for (size_t k = start; k < i; k++)
            if (!name_char_ok((unsigned char)text[k]))
                return -1;
        if ((n == 1 && text[start] == '.') || (n == 2 && text[start] == '.' && text[start + 1] == '.'))
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
