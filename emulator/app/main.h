#ifndef SIM800EMU_MAIN_H
#define SIM800EMU_MAIN_H

/* The program: options, profile, N modems on one loop, clean exit on
 * SIGINT/SIGTERM.  Returns the exit status (2 for bad usage or profile). */
int sim800emu_main(int argc, char **argv);

#endif
