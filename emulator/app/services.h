/* The program's list of services (services.c). */
#ifndef SIM800EMU_SERVICES_H
#define SIM800EMU_SERVICES_H

#include "service.h"

/* NULL-terminated. */
extern const struct service *const sim800_services[];

#endif
