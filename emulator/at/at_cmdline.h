/* Splits a command-line body (the text after "AT") into commands, without
 * I/O or allocation: the second and third stages of oFono's gatserver
 * (extract_line, parse_basic/extended_command).
 *
 * Syntax (SIM800 manual 1.4, V.250 5.3/5.4):
 *   basic     E0  V1  Q  Z  &F  &W0  I  X4  D<dial string>  A  H
 *   S-reg     S0=2  S3?  S0=
 *   extended  +NAME  +NAME?  +NAME=?  +NAME=<args>
 * An extended command must be followed by ';' or the end of the line; basic
 * commands may follow each other directly or after ';'. */
#ifndef SIM800EMU_AT_CMDLINE_H
#define SIM800EMU_AT_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>

#include "at_parser.h"

#define AT_NAME_MAX 24 /* longest command name we accept, "+" included */
/* Every command on a line of the module's maximum length must run
 * ("ATEEEE..." is 556 one-letter commands), so the limit is the line's. */
#define AT_LINE_CMDS_MAX 556

/* The four forms of SIM800 manual table 1; a handler row lists the ones it takes. */
enum at_form {
    AT_FORM_EXEC = 1 << 0,  /* AT+X, or a basic command */
    AT_FORM_READ = 1 << 1,  /* AT+X?  / ATSn? */
    AT_FORM_TEST = 1 << 2,  /* AT+X=? */
    AT_FORM_WRITE = 1 << 3, /* AT+X=<args> / ATSn=<v> */
};

struct at_command {
    char name[AT_NAME_MAX]; /* upper case: "E", "&F", "S", "D", "+CSQ" */
    enum at_form form;
    bool extended;
    int number;      /* basic: its number, -1 when absent; S: the register */
    size_t args_off; /* offset of the arguments in the cleaned line */
    size_t args_len; /* extended WRITE arguments, S-register value, dial string */
};

/* Removes spaces outside double quotes in place (V.250 5.1: spaces are
 * ignored) and returns the new length. */
size_t at_cmdline_clean(char *line, size_t len);

/* Splits a cleaned line into at most max commands.  Returns the number of
 * commands, or -1 on a syntax error (nothing on the line may then run). */
int at_cmdline_split(const char *line, size_t len, struct at_command *cmds, int max);

#endif
