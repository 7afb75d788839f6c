/* Unit tests for the two pure path parsers: the module's file names
 * (fs_path.c, fs.md 1) and HTTP URLs and redirects (http_url.c, http.md 1.3,
 * 3.3). */
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
    assert_int_equal(parse("\"c:\\User\\Log\\\"", &p), 0);   /* quoted, lower drive, a dir */
    assert_int_equal(p.depth, 2);
    assert_true(p.trailing_sep);
    assert_int_equal(parse("C:\\", &p), 0);
    assert_int_equal(p.depth, 0);
    assert_int_equal(parse("C:\\a b.txt", &p), 0);             /* spaces are fine */
}

static void fs_refuses_escapes_and_junk(void **state)
{
    (void)state;
    struct fs_path p;
    const char *bad[] = {"", "C:", "C:x", "D:\\a", "C:\\..\\a", "C:\\a\\..", "C:\\.\\a", "C:\\a\\\\b",
                         "/etc/passwd", "C:\\a/b", "C:\\a:b", "C:\\a*", "C:\\a?", "C:\\a<b",
                         "C:\\a|b", "C:\\a\"b", "C:\\a\tb", "\"C:\\a"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(parse(bad[i], &p), -1);
    char long_name[80] = "C:\\";
    memset(long_name + 3, 'A', 65);
    assert_int_equal(parse(long_name, &p), -1);                /* a 65-character component */
    char nul[] = {'C', ':', '\\', 'a', 0, 'b'};
    assert_int_equal(fs_path_parse(nul, sizeof(nul), &p), -1); /* a NUL inside */
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
    assert_int_equal(http_url_parse("http://h/a\r\nX: y", &u), -1);   /* no header injection */
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
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fs_accepts_module_names),
        cmocka_unit_test(fs_refuses_escapes_and_junk),
        cmocka_unit_test(url_forms),
        cmocka_unit_test(url_redirects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
