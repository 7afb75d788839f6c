/* One identity per modem (README "Profiles"): with --modems N each modem
 * has its own IMEI, IMSI and ICCID, so a back end that keys devices by IMEI
 * sees N devices.  Modem 0 has the profile's values; modem i the profile's
 * with i added to the serial part (the IMEI's serial number, the IMSI's
 * MSIN, the ICCID's account digits) and, for the IMEI and an all-digit
 * ICCID, the Luhn check digit computed again; the SIM's own number, when the
 * profile gives one, gets i added too.  [modem] imeis, imsis, iccids and
 * [sim] numbers (comma-separated, one entry per modem, empty: derived)
 * override single modems. */
#ifndef SIM800EMU_IDENTITY_H
#define SIM800EMU_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>

struct profile;

struct modem_identity {
    char imei[16];
    char imsi[16];
    char iccid[21];
    char number[24]; /* "" when the SIM stores none */
};

/* Fills id for modem `index`; -1 with the reason in err for an override
 * that is not a valid value. */
int identity_for(const struct profile *p, int index, struct modem_identity *id, char *err,
                 size_t errlen);

/* The Luhn check digit of the n digits at s (ISO/IEC 7812). */
char luhn_check_digit(const char *s, size_t n);

#endif
