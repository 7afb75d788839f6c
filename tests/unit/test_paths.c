/* Unit tests for the two pure path parsers: the module's file names
 * (fs_path.c, as client libraries use them) and HTTP URLs and redirects
 * (http_url.c, SIM800 AT Command Manual V1.09 §11.2.3). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "fs_path.h"
#include "http_url.h"

static int parse(const char *s, struct fs_path *p) { return fs_path_parse(s, strlen(s), p); }

static void fs_accepts_module_names(void **state)
{
    (void)state;
    struct fs_path p;
    assert_int_equal(parse("C:\\USER\\HENRY_SSL.CRT", &p), 0);
    assert_int_equal(p.depth, 2);
    assert_string_equal(p.name[0], "USER");
    assert_string_equal(p.name[1], "HENRY_SSL.CRT");
    assert_false(p.trailing_sep);
    assert_int_equal(parse("\"c:\\User\\Log\\\"", &p), 0); /* quoted, lower drive, a dir */
    assert_int_equal(p.depth, 2);
    assert_true(p.trailing_sep);
    assert_int_equal(parse("C:\\", &p), 0);
    assert_int_equal(p.depth, 0);
    assert_int_equal(parse("C:\\a b.txt", &p), 0); /* spaces are fine */
}

static void fs_refuses_escapes_and_junk(void **state)
{
    (void)state;
    struct fs_path p;
    const char *bad[] = {"",          "C:",       "C:x",        "D:\\a",       "C:\\..\\a",
                         "C:\\a\\..", "C:\\.\\a", "C:\\a\\\\b", "/etc/passwd", "C:\\a/b",
                         "C:\\a:b",   "C:\\a*",   "C:\\a?",     "C:\\a<b",     "C:\\a|b",
                         "C:\\a\"b",  "C:\\a\tb", "\"C:\\a"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(parse(bad[i], &p), -1);
    char long_name[80] = "C:\\";
    memset(long_name + 3, 'A', 65);
    assert_int_equal(parse(long_name, &p), -1); /* a 65-character component */
    char nul[] = {'C', ':', '\\', 'a', 0, 'b'};
    assert_int_equal(fs_path_parse(nul, sizeof(nul), &p), -1); /* a NUL inside */
}

static void fs_limits(void **state)
{
    (void)state;
    struct fs_path p;
    char path[FS_PATH_MAX + 2];
    /* A 64-character component is the longest. */
    strcpy(path, "C:\\");
    memset(path + 3, 'N', FS_NAME_MAX);
    path[3 + FS_NAME_MAX] = '\0';
    assert_int_equal(parse(path, &p), 0);
    assert_int_equal((int)strlen(p.name[0]), FS_NAME_MAX);
    /* Any depth within 128 characters: "C:\a\a\...\a" is 63 deep. */
    strcpy(path, "C:\\a");
    while (strlen(path) + 2 <= FS_PATH_MAX)
        strcat(path, "\\a");
    assert_int_equal((int)strlen(path), FS_PATH_MAX);
    assert_int_equal(parse(path, &p), 0);
    assert_int_equal(p.depth, FS_DEPTH_MAX);
    strcat(path, "\\"); /* 129 characters */
    assert_int_equal(parse(path, &p), -1);
    /* The 128 are counted without the quotes. */
    char quoted[FS_PATH_MAX + 4] = "\"";
    strcpy(path, "C:\\");
    memset(path + 3, 'q', FS_PATH_MAX - 3);
    path[3 + 62] = '\\'; /* two components of 62 */
    path[FS_PATH_MAX] = '\0';
    strcat(quoted, path);
    strcat(quoted, "\"");
    assert_int_equal((int)strlen(quoted), FS_PATH_MAX + 2);
    assert_int_equal(parse(quoted, &p), 0);
    assert_int_equal(p.depth, 2);
    path[FS_PATH_MAX - 1] = '\0';
    strcat(path, "qq"); /* 129 unquoted */
    assert_int_equal(parse(path, &p), -1);
}

static void fs_component_names(void **state)
{
    (void)state;
    assert_true(fs_path_name_ok("HENRY_SSL.CRT", 13));
    assert_true(fs_path_name_ok(".cfg", 4)); /* a leading dot is a name */
    assert_true(fs_path_name_ok("...", 3));
    assert_true(fs_path_name_ok("a b", 3));
    assert_false(fs_path_name_ok(".", 1));
    assert_false(fs_path_name_ok("..", 2));
    assert_false(fs_path_name_ok("", 0));
    assert_false(fs_path_name_ok("a\\b", 3));
    assert_false(fs_path_name_ok("a/b", 3));
    assert_false(fs_path_name_ok("a\r\nb", 4));
    assert_false(fs_path_name_ok("caf\xc3\xa9", 5)); /* ASCII only */
    assert_false(fs_path_name_ok("a\0b", 3));
    assert_false(fs_path_name_ok("a,b", 3));
    char longest[FS_NAME_MAX + 1];
    memset(longest, 'x', sizeof(longest));
    assert_true(fs_path_name_ok(longest, FS_NAME_MAX));
    assert_false(fs_path_name_ok(longest, FS_NAME_MAX + 1));
}

static void url_forms(void **state)
{
    (void)state;
    struct http_url u;
    assert_int_equal(http_url_parse("www.gmail.com", &u), 0);
    assert_int_equal(u.scheme, HTTP_SCHEME_NONE);
    assert_string_equal(u.host, "www.gmail.com");
    assert_int_equal(u.port, 0);
    assert_string_equal(u.path, "/");
    assert_int_equal(http_url_parse("HTTPS://h.test:8443/a/b?x=1,y=2#frag", &u), 0);
    assert_int_equal(u.scheme, HTTP_SCHEME_HTTPS);
    assert_int_equal(u.port, 8443);
    assert_string_equal(u.path, "/a/b?x=1,y=2");
    assert_int_equal(http_url_parse("http://h?q", &u), 0);
    assert_string_equal(u.path, "/?q");
    assert_int_equal(http_url_parse("http://h:0/", &u), -1);
    assert_int_equal(http_url_parse("http://h:65536/", &u), -1);
    assert_int_equal(http_url_parse("http:///x", &u), -1);
    assert_int_equal(http_url_parse("http://h/a\r\nX: y", &u), -1); /* no header injection */
}

static void url_redirects(void **state)
{
    (void)state;
    struct http_url base, u;
    assert_int_equal(http_url_parse("https://h.test:8443/dir/page?q=1", &base), 0);
    assert_int_equal(http_url_resolve(&base, "/root.txt", &u), 0);
    assert_string_equal(u.host, "h.test");
    assert_int_equal(u.port, 8443);
    assert_int_equal(u.scheme, HTTP_SCHEME_HTTPS);
    assert_string_equal(u.path, "/root.txt");
    assert_int_equal(http_url_resolve(&base, "other.txt", &u), 0);
    assert_string_equal(u.path, "/dir/other.txt");
    assert_int_equal(http_url_resolve(&base, "//cdn.test/x", &u), 0);
    assert_string_equal(u.host, "cdn.test");
    assert_int_equal(u.scheme, HTTP_SCHEME_HTTPS);
    assert_int_equal(http_url_resolve(&base, "http://plain.test/y", &u), 0);
    assert_int_equal(u.scheme, HTTP_SCHEME_HTTP);
    assert_string_equal(u.path, "/y");
    /* Dot segments go (RFC 3986 5.2.4); the query is left alone. */
    assert_int_equal(http_url_resolve(&base, "../up.txt?a=../b", &u), 0);
    assert_string_equal(u.path, "/up.txt?a=../b");
    assert_int_equal(http_url_resolve(&base, "../../../x", &u), 0);
    assert_string_equal(u.path, "/x");
    assert_int_equal(http_url_resolve(&base, "./a/./b/../c/", &u), 0);
    assert_string_equal(u.path, "/dir/a/c/");
    assert_int_equal(http_url_resolve(&base, "..", &u), 0);
    assert_string_equal(u.path, "/");
    assert_int_equal(http_url_resolve(&base, "/a/b/..", &u), 0);
    assert_string_equal(u.path, "/a/");
    assert_int_equal(http_url_resolve(&base, "http://h.test/a/./b/../../c", &u), 0);
    assert_string_equal(u.path, "/c");
    assert_int_equal(http_url_resolve(&base, "x//y", &u), 0);
    assert_string_equal(u.path, "/dir/x//y");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fs_accepts_module_names),
        cmocka_unit_test(fs_refuses_escapes_and_junk),
        cmocka_unit_test(fs_limits),
        cmocka_unit_test(fs_component_names),
        cmocka_unit_test(url_forms),
        cmocka_unit_test(url_redirects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
