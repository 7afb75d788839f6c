/* AT+FTP's parameters (ftp_params.c): their defaults, and their command
 * table, registered by the FTP service beside its own. */
#ifndef SIM800EMU_FTP_PARAMS_H
#define SIM800EMU_FTP_PARAMS_H

#include "at_engine.h"

struct ftp_params;

/* The power-on values (manual §12.2.1-12.2.13). */
void ftp_params_default(struct ftp_params *p);

extern const struct at_cmd_table ftp_params_table;

#endif
