#include "at_cmdline.h"

#include <string.h>

#include "util.h"

size_t at_cmdline_clean(char *line, size_t len)
{
    bool quoted = false;
    size_t out = 0;
    for (size_t i = 0; i < len; i++) {
        char c = line[i];
        if (c == '"')
            quoted = !quoted;
        if (c == ' ' && !quoted)
            continue;
        line[out++] = c;
    }
    /* NUL-terminate only inside the caller's bytes: out < len when anything
     * was squeezed out; otherwise the caller's own terminator stays. */
    if (out < len)
        line[out] = '\0';
    return out;
}

static bool is_alpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* Extended names: letters, digits and a few marks SIMCom uses ("+CIPSTART"). */
static bool is_name_char(char c) { return is_alpha(c) || is_digit(c) || c == '_' || c == '&'; }

/* Reads an optional decimal number; returns -1 when there is none and caps
 * at a value no command takes so that overflow is impossible. */
static int read_number(const char *line, size_t len, size_t *pos)
{
    int v = -1;
    while (*pos < len && is_digit(line[*pos])) {
        int d = line[*pos] - '0';
        v = (v < 0 ? 0 : v);
        if (v < 100000000)
            v = v * 10 + d;
        (*pos)++;
    }
    return v;
}

/* Arguments run to the next ';' outside quotes, or to the end. */
static size_t scan_args(const char *line, size_t len, size_t pos)
{
    bool quoted = false;
    size_t i = pos;
    for (; i < len; i++) {
        if (line[i] == '"')
            quoted = !quoted;
        else if (line[i] == ';' && !quoted)
            break;
    }
    return i;
}

static int parse_extended(const char *line, size_t len, size_t *pos, struct at_command *cmd)
{
    size_t n = 0;
    cmd->name[n++] = line[(*pos)++]; /* '+' */
    while (*pos < len && is_name_char(line[*pos])) {
        if (n + 1 >= sizeof(cmd->name))
            return -1;
        cmd->name[n++] = ascii_upper(line[(*pos)++]);
    }
    cmd->name[n] = '\0';
    if (n < 2)
        return -1;
    cmd->extended = true;
    if (*pos < len && line[*pos] == '?') {
        cmd->form = AT_FORM_READ;
        (*pos)++;
    } else if (*pos + 1 < len && line[*pos] == '=' && line[*pos + 1] == '?') {
        cmd->form = AT_FORM_TEST;
        *pos += 2;
    } else if (*pos < len && line[*pos] == '=') {
        cmd->form = AT_FORM_WRITE;
        (*pos)++;
        size_t end = scan_args(line, len, *pos);
        cmd->args_off = *pos;
        cmd->args_len = end - *pos;
        *pos = end;
    } else {
        cmd->form = AT_FORM_EXEC;
    }
    /* An extended command ends the line or is followed by ';'. */
    if (*pos < len) {
        if (line[*pos] != ';')
            return -1;
        (*pos)++;
    }
    return 0;
}

static int parse_sreg(const char *line, size_t len, size_t *pos, struct at_command *cmd)
{
    (*pos)++; /* 'S' */
    int reg = read_number(line, len, pos);
    if (reg < 0)
        return -1;
    cmd->number = reg;
    if (*pos < len && line[*pos] == '?') {
        cmd->form = AT_FORM_READ;
        (*pos)++;
    } else if (*pos < len && line[*pos] == '=') {
        (*pos)++;
        cmd->form = AT_FORM_WRITE;
        cmd->args_off = *pos;
        int v = read_number(line, len, pos);
        (void)v;
        cmd->args_len = *pos - cmd->args_off;
    } else {
        return -1;
    }
    if (*pos < len && line[*pos] == ';')
        (*pos)++;
    return 0;
}

static int parse_basic(const char *line, size_t len, size_t *pos, struct at_command *cmd)
{
    char c = ascii_upper(line[*pos]);
    size_t n = 0;
    if (c == '&') {
        (*pos)++;
        if (*pos >= len || !is_alpha(line[*pos]))
            return -1;
        cmd->name[n++] = '&';
        c = ascii_upper(line[*pos]);
    }
    if (!is_alpha(c))
        return -1;
    if (n == 0 && c == 'S') {
        strcpy(cmd->name, "S");
        return parse_sreg(line, len, pos, cmd);
    }
    cmd->name[n++] = c;
    cmd->name[n] = '\0';
    (*pos)++;
    cmd->form = AT_FORM_EXEC;
    if (n == 1 && c == 'D') {
        /* The dial string takes the rest of the line, its ';' included
         * (the ';' asks for a voice call, V.250 6.3.1). */
        cmd->args_off = *pos;
        cmd->args_len = len - *pos;
        *pos = len;
        return 0;
    }
    if (n == 1 && c == 'A') {
        /* SIM800 manual 2.2.2: ATA ignores the rest of the line. */
        *pos = len;
        return 0;
    }
    cmd->number = read_number(line, len, pos);
    if (*pos < len && line[*pos] == '?')
        return -1; /* no basic command of ours has a read form */
    if (*pos < len && line[*pos] == ';')
        (*pos)++;
    return 0;
}

int at_cmdline_split(const char *line, size_t len, struct at_command *cmds, int max)
{
    size_t pos = 0;
    int count = 0;
    while (pos < len) {
        if (count >= max)
            return -1;
        struct at_command *cmd = &cmds[count];
        memset(cmd, 0, sizeof(*cmd));
        cmd->number = -1;
        int rc = line[pos] == '+' ? parse_extended(line, len, &pos, cmd)
                                  : parse_basic(line, len, &pos, cmd);
        if (rc < 0)
            return -1;
        count++;
    }
    return count;
}
