#include "identity.h"

#include <stdio.h>
#include <string.h>

#include "profile.h"
#include "util.h"

char luhn_check_digit(const char *s, size_t n)
{
    int sum = 0;
    /* From the rightmost digit of s, which sits next to the check digit. */
    for (size_t k = 0; k < n; k++) {
        int d = s[n - 1 - k] - '0';
        if (k % 2 == 0) {
            d *= 2;
            if (d > 9)
                d -= 9;
        }
        sum += d;
    }
    return (char)('0' + (10 - sum % 10) % 10);
}

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/* Adds add to the decimal digits s[from..to) (wrapping within them). */
static void add_to_digits(char *s, size_t from, size_t to, long add)
{
    for (size_t i = to; i > from && add > 0; i--) {
        char *c = &s[i - 1];
        if (*c < '0' || *c > '9')
            continue; /* an ICCID may show a filler nibble ('F') */
        long d = (*c - '0') + add;
        *c = (char)('0' + d % 10);
        add = d / 10;
    }
}

/* The entry `index` of a comma-separated override list into out ("" when
 * the list has none there or it is empty). */
static void list_entry(const char *list, int index, char *out, size_t cap)
{
    out[0] = '\0';
    const char *p = list;
    for (int i = 0; i < index && p; i++) {
        p = strchr(p, ',');
        if (p)
            p++;
    }
    if (!p)
        return;
    size_t n = strcspn(p, ",");
    while (n > 0 && (*p == ' '))
        p++, n--;
    while (n > 0 && p[n - 1] == ' ')
        n--;
    if (n < cap) {
        memcpy(out, p, n);
        out[n] = '\0';
    }
}

int identity_for(const struct profile *p, int index, struct modem_identity *id, char *err,
                 size_t errlen)
{
    str_copy(id->imei, sizeof(id->imei), p->imei);
    str_copy(id->imsi, sizeof(id->imsi), p->imsi);
    str_copy(id->iccid, sizeof(id->iccid), p->iccid);
    str_copy(id->number, sizeof(id->number), p->sim_number);
    if (index > 0) {
        size_t len = strlen(id->number);
        add_to_digits(id->number, len > 6 ? len - 6 : 0, len, index);
        /* IMEI: TAC (8 digits), serial (6), check digit. */
        size_t n = strlen(id->imei);
        if (n == 15) {
            add_to_digits(id->imei, 8, 14, index);
            id->imei[14] = luhn_check_digit(id->imei, 14);
        }
        /* IMSI: MCC, MNC, then the MSIN: the last digits. */
        n = strlen(id->imsi);
        add_to_digits(id->imsi, n > 10 ? n - 10 : 0, n, index);
        /* ICCID: the account digits before the check digit. */
        n = strlen(id->iccid);
        if (n >= 2) {
            add_to_digits(id->iccid, n > 8 ? n - 8 : 0, n - 1, index);
            if (all_digits(id->iccid, n))
                id->iccid[n - 1] = luhn_check_digit(id->iccid, n - 1);
        }
    }
    /* The overrides: which list, which field, what a valid value is. */
    const struct {
        const char *list, *key;
        char *field;
        size_t cap, min, max;
        bool luhn, plus; /* a Luhn check digit; a leading '+' allowed */
    } overrides[] = {
        {p->imeis, "[modem] imeis", id->imei, sizeof(id->imei), 15, 15, true, false},
        {p->imsis, "[modem] imsis", id->imsi, sizeof(id->imsi), 6, 15, false, false},
        {p->iccids, "[modem] iccids", id->iccid, sizeof(id->iccid), 18, 20, true, false},
        {p->sim_numbers, "[sim] numbers", id->number, sizeof(id->number), 3, 20, false, true},
    };
    for (size_t i = 0; i < sizeof(overrides) / sizeof(overrides[0]); i++) {
        char v[24];
        list_entry(overrides[i].list, index, v, sizeof(v));
        if (!v[0])
            continue;
        const char *digits = overrides[i].plus && v[0] == '+' ? v + 1 : v;
        size_t n = strlen(digits);
        if (n < overrides[i].min || n > overrides[i].max || !all_digits(digits, n) ||
            (overrides[i].luhn && luhn_check_digit(digits, n - 1) != digits[n - 1])) {
            snprintf(err, errlen, "%s: modem %d's '%s' is not %zu to %zu digits%s",
                     overrides[i].key, index, v, overrides[i].min, overrides[i].max,
                     overrides[i].luhn ? " with a valid Luhn check digit" : "");
            return -1;
        }
        str_copy(overrides[i].field, overrides[i].cap, v);
    }
    return 0;
}
