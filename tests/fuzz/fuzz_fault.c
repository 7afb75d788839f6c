/* libFuzzer harness for fault_parse and the rule set: the text a user (or
 * anything that reaches the control socket) writes after "fault add".
 * Oracle: a rule that parses has exactly one action, bounded NUL-terminated
 * strings, sane numbers, and reads the same again from its own spec text;
 * the matcher never fires a spent rule, and clear empties the set. */
#include <string.h>

#include "fault.h"
#include "fuzz.h"

static void check_str(const char *s, size_t cap) { FUZZ_CHECK(memchr(s, 0, cap) != NULL); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fault_rule r, again;
    char err[256];
    if (fault_parse((const char *)data, size, &r, err, sizeof(err)) < 0) {
        check_str(err, sizeof(err));
        FUZZ_CHECK(err[0] != '\0');
        return 0;
    }
    FUZZ_CHECK(size < FAULT_SPEC_MAX);
    FUZZ_CHECK(r.action != FA_NONE);
    check_str(r.spec, sizeof(r.spec));
    check_str(r.service, sizeof(r.service));
    check_str(r.tag, sizeof(r.tag));
    check_str(r.host, sizeof(r.host));
    check_str(r.cmd, sizeof(r.cmd));
    check_str(r.text, sizeof(r.text));
    check_str(r.result, sizeof(r.result));
    check_str(r.verb, sizeof(r.verb));
    FUZZ_CHECK((r.action == FA_REPLY) == (r.verb[0] != '\0'));
    FUZZ_CHECK(r.modem >= -1 && r.port >= 0 && r.port <= 65535);
    FUZZ_CHECK(r.count == -1 || r.count >= 1);
    FUZZ_CHECK(r.prob >= 0 && r.prob <= 1);
    FUZZ_CHECK(r.alert >= -1 && r.alert <= 255);
    FUZZ_CHECK(r.dir >= 1 && r.dir <= 3);
    FUZZ_CHECK(!((r.action == FA_RESULT || r.action == FA_URC) && !r.cmd[0]));
    FUZZ_CHECK(!(fault_is_network(r.action) && r.cmd[0]));
    /* The spec as stored reads back to the same rule. */
    FUZZ_CHECK(fault_parse(r.spec, strlen(r.spec), &again, err, sizeof(err)) == 0);
    FUZZ_CHECK(again.action == r.action && again.count == r.count && again.modem == r.modem &&
               strcmp(again.text, r.text) == 0 && strcmp(again.result, r.result) == 0 &&
               strcmp(again.cmd, r.cmd) == 0 && again.bytes == r.bytes &&
               strcmp(again.verb, r.verb) == 0);
    /* The set: match until spent. */
    static struct fault_set set;
    fault_set_init(&set);
    FUZZ_CHECK(fault_set_add(&set, &r) == 0);
    struct fault_subject conn = {
        .modem = 0, .service = "http", .host = "www.gmail.com", .port = 443, .tls = true};
    struct fault_subject cmd = {.modem = 0, .service = "http", .cmd = r.cmd[0] ? r.cmd : "+CSQ"};
    struct fault_subject reply = {.modem = 0,
                                  .service = "ftp",
                                  .host = "116.228.221.52",
                                  .port = 21,
                                  .verb = r.verb[0] ? r.verb : "PBSZ"};
    long fired = 0;
    for (int i = 0; i < 50; i++) {
        struct fault_rule *m = fault_match_conn(&set, &conn, r.action == FA_SHAPE);
        struct fault_rule *c = fault_match_cmd(&set, &cmd);
        struct fault_rule *v = fault_match_reply(&set, &reply);
        FUZZ_CHECK(!m || fault_is_network(m->action));
        FUZZ_CHECK(!c || c->cmd[0]);
        FUZZ_CHECK(!v || (v->action == FA_REPLY && v->text[0]));
        fired += (m != NULL) + (c != NULL) + (v != NULL);
    }
    FUZZ_CHECK(set.rules[0].fired == fired);
    FUZZ_CHECK(r.count < 0 || fired <= r.count);
    FUZZ_CHECK(fault_set_clear(&set, 0) == 1 && set.n == 0);
    return 0;
}
