/* libFuzzer harness for cert_import, the parser of what AT+SSLSETCERT reads
 * from the module's flash: a file the host wrote byte by byte.
 *
 * Input: byte 0 chooses the password (none, "", "sim800", or the next up
 * to 32 bytes up to a NUL); the rest is the file.  The oracle: a result
 * other than OK leaves the bundle empty; OK always has a certificate, and a
 * key only together with it. */
#include <string.h>

#include "cert_import.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    char password[33] = "";
    const char *pw = NULL;
    size_t off = 1;
    switch (data[0] % 4) {
    case 0:
        break;
    case 1:
        pw = "";
        break;
    case 2:
        pw = "sim800";
        break;
    default: {
        size_t n = 0;
        while (off < size && n < 32 && data[off] != 0)
            password[n++] = (char)data[off++];
        if (off < size)
            off++;
        pw = password;
    }
    }
    struct cert_bundle b;
    enum cert_import_result r = cert_import(data + off, size - off, pw, &b);
    if (r == CERT_IMPORT_OK) {
        FUZZ_CHECK(b.cert != NULL);
    } else {
        FUZZ_CHECK(b.cert == NULL && b.key == NULL && b.ca == NULL);
    }
    cert_bundle_free(&b);
    return 0;
}
