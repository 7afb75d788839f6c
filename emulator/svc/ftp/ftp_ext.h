/* The command table of AT+FTP's extended methods (ftp_ext.c), registered by
 * the FTP service beside its own. */
#ifndef SIM800EMU_FTP_EXT_H
#define SIM800EMU_FTP_EXT_H

#include "at_engine.h"

extern const struct at_cmd_table ftp_ext_table;

#endif
