/* The modem's own command tables (V.250, general, identification, network);
 * the services bring theirs.  lifecycle.c registers them. */
#ifndef SIM800EMU_CMD_TABLES_H
#define SIM800EMU_CMD_TABLES_H

#include "at_engine.h"

extern const struct at_cmd_table cmd_v250_table;
extern const struct at_cmd_table cmd_general_table;
extern const struct at_cmd_table cmd_ident_table;
extern const struct at_cmd_table cmd_network_table;

#endif
