/* The services every modem runs, in the order they hear module events: a
 * new service is one line here (and its folder under svc/).  The order is
 * the order of URCs when one event concerns several services: the bearers'
 * "+SAPBR 1: DEACT" comes before TCP/IP's "+PDP: DEACT" (as a module with
 * both up prints them at AT+CFUN=0: TinyGSM issue 284, README "Power
 * states"), and before HTTP's 601 for an action over that bearer. */
#include "services.h"

#include "bearer.h"
#include "call.h"
#include "email.h"
#include "fs.h"
#include "ftp.h"
#include "http.h"
#include "location.h"
#include "netlight.h"
#include "ntp.h"
#include "pop3.h"
#include "sms.h"
#include "smtp.h"
#include "ssl.h"
#include "tcpip.h"
#include "ussd.h"

const struct service *const sim800_services[] = {
    &fs_service,       &ssl_service,      &bearer_service, &tcpip_service,
    &http_service,     &ftp_service,      &email_service,  &smtp_service,
    &pop3_service,     &netlight_service, &sms_service,    &ussd_service,
    &location_service, &ntp_service,      &call_service,   NULL,
};
