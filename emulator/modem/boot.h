/* The module's power: the power-on sequence of URCs, AT+CFUN=1,1, AT+CPOWD
 * and a reboot nobody asked for (SIM800 AT Command Manual V1.09 §19.3). */
#ifndef SIM800EMU_BOOT_H
#define SIM800EMU_BOOT_H

struct modem;

/* Starts the power-on sequence of URCs. */
void boot_start(struct modem *m);
/* AT+CFUN=1,1: silence, then (fixed baud) the pending OK and a new boot. */
void boot_reset(struct modem *m);
/* AT+CPOWD: off for good. */
void boot_power_off(struct modem *m);
/* A reboot nobody asked for (brown-out, watchdog; a fault): state lost as at
 * power-on, silence for reset_ms, then the boot URCs again. */
void boot_reboot(struct modem *m);
void boot_stop(struct modem *m);

#endif
