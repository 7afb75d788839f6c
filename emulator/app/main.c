#include "main.h"

#include <errno.h>
#include <ev.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "conn.h"
#include "control.h"
#include "control_client.h"
#include "fault.h"
#include "fault_glue.h"
#include "fs.h"
#include "lifecycle.h"
#include "modem.h"
#include "net.h"
#include "port.h"
#include "profile.h"
#include "pty.h"
#include "reply.h"
#include "serial_net.h"
#include "services.h"
#include "tls.h"
#include "trace.h"
#include "util.h"

#define MODEMS_MAX 4096
#define OVERRIDES_MAX 64
#define FAULTS_MAX 64
/* How long --request waits for the reply. */
#define REQUEST_TIMEOUT_S 5.0

/* How long SIGINT/SIGTERM may spend closing network links in order. */
#define STOP_CLOSE_S 1.0

struct options {
    const char *profile;
    const char *profiles_dir;
    const char *profiles_why; /* where profiles_dir came from, for --version */
    bool version;
    bool profile_keys;   /* --profile-keys: print every key's value and exit */
    const char *request; /* --request PATH WORDS...: a control client, then exit */
    const char *link;
    const char *trace;
    const char *storage;
    const char *tls_verify; /* --tls-verify: wins over [tls] verify and --set */
    const char *timing;     /* --timing real|fast: a [timing] preset, before --set */
    long modems;
    const char *overrides[OVERRIDES_MAX];
    int noverrides;
    struct net_config net;
    const char *control;            /* --control PATH */
    const char *listen;             /* --listen [ADDR:]PORT */
    const char *control_tcp;        /* --control-tcp [ADDR:]PORT */
    bool listen_raw;                /* --listen-raw: raw bytes, not RFC 2217 */
    const char *faults[FAULTS_MAX]; /* --fault SPEC */
    int nfaults;
};

static void usage(FILE *f)
{
    fputs("usage: sim800emu [OPTIONS]\n"
          "Emulates SIM800 modules, each on its own pseudo-terminal; prints one\n"
          "/dev/pts/N path per modem on stdout.\n"
          "\n"
          "  -p, --profile NAME|FILE     firmware profile (default sim800l-r14.18)\n"
          "      --profiles-dir DIR      where profile names are looked up\n"
          "  -n, --modems N              number of modems in this process (default 1)\n"
          "  -l, --link PATH             symlink to each PTY; %d = modem index\n"
          "  -t, --trace FILE            trace every byte both ways (- = stderr)\n"
          "  -s, --set SECTION.KEY=VALUE override a profile key (repeatable)\n"
          "  -m, --map HOST[:PORT]=ADDR:PORT\n"
          "                              send connections for HOST (a name or an address,\n"
          "                              optionally only on PORT) to ADDR:PORT (repeatable)\n"
          "      --only-mapped           refuse every destination --map does not name\n"
          "      --ca-file FILE          the module's trusted roots (PEM); default: none\n"
          "      --tls-verify MODE       check server certificates: module (the module's\n"
          "                              rule: AT+SSLOPT=0,0 and a trust anchor), always\n"
          "                              (every connection), never\n"
          "      --keylog FILE           write TLS secrets in NSS key log format\n"
          "      --dns SERVER[:PORT]     DNS server for names --map does not cover\n"
          "      --storage DIR           keep each modem's flash file system in DIR/modem<i>\n"
          "                              (default: a temporary directory, removed at exit)\n"
          "      --timing MODE           real: the port runs at the baud rate and slow\n"
          "                              commands take the module's typical time; fast: no\n"
          "                              pacing, no added latency (default: the profile's\n"
          "                              [timing], which is fast)\n"
          "      --control PATH          a control socket (mode 0600) for faults and status\n"
          "      --control-tcp [ADDR:]PORT  the control requests over TCP, after 'auth TOKEN'\n"
          "                              ($SIM800EMU_CONTROL_TOKEN); loopback unless ADDR\n"
          "      --listen [ADDR:]PORT    modem i also on TCP PORT+i, RFC 2217 (pyserial's\n"
          "                              rfc2217://); loopback unless ADDR is given\n"
          "      --listen-raw            ... raw bytes instead (socat, ser2net raw)\n"
          "      --fault SPEC            a fault rule, as 'fault add SPEC' on the control\n"
          "                              socket (repeatable; see FAULTS in the man page)\n"
          "      --request PATH REQUEST  send REQUEST (e.g. status) to the control socket\n"
          "                              at PATH, print the reply; exit 0 if it is ok\n"
          "      --profile-keys          print every profile key with its value (after\n"
          "                              -p, --timing and --set) and exit\n"
          "  -V, --version               print the version and the profiles directory\n"
          "  -h, --help                  this text\n"
          "\n"
          "Fault rules (--fault, [faults], 'fault add' on the control socket):\n",
          f);
    /* The grammar, wrapped: the same text the control socket's help gives. */
    const char *g = fault_grammar();
    while (*g) {
        size_t n = strlen(g);
        if (n > 76) {
            n = 76;
            while (n > 0 && g[n] != ' ')
                n--;
            if (n == 0)
                n = 76;
        }
        fprintf(f, "  %.*s\n", (int)n, g);
        g += n;
        while (*g == ' ')
            g++;
    }
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The shipped profiles, the first of these that is a directory (the man
 * page's FILES section and the README say the same):
 *  1. a binary inside the build tree it was built in: the source tree's
 *     profiles/, so ./scripts/run uses the profiles next to the code;
 *  2. <prefix>/<datadir>/sim800emu/profiles with <prefix> taken from where
 *     the binary is now (<prefix>/<bindir>/sim800emu): a tree unpacked by
 *     `meson install --destdir` or `dpkg -x`, or moved whole, finds its own;
 *  3. the configured <prefix>/<datadir>/sim800emu/profiles (also the answer
 *     when none exists, so the error names it).
 * An installed binary never looks at the source tree. */
static const char *shipped_profiles_dir(const char **why)
{
    static char found[PATH_MAX];
    char exe[PATH_MAX], root[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    char *slash = NULL;
    if (n > 0) {
        exe[n] = '\0';
        slash = strrchr(exe, '/');
    }
    if (slash) {
        *slash = '\0'; /* the binary's directory */
        size_t len = 0;
        if (realpath(SIM800EMU_BUILD_ROOT, root))
            len = strlen(root);
        if (len && strncmp(exe, root, len) == 0 && (exe[len] == '/' || !exe[len]) &&
            is_dir(SIM800EMU_PROFILES_DIR)) {
            *why = "source tree";
            return SIM800EMU_PROFILES_DIR;
        }
        const char *bindir = SIM800EMU_BINDIR;
        size_t blen = strlen(bindir), elen = strlen(exe);
        if (bindir[0] != '/' && SIM800EMU_DATADIR[0] != '/' && elen > blen &&
            exe[elen - blen - 1] == '/' && strcmp(exe + elen - blen, bindir) == 0) {
            int w = snprintf(found, sizeof(found), "%.*s/%s/sim800emu/profiles",
                             (int)(elen - blen - 1), exe, SIM800EMU_DATADIR);
            if (w > 0 && (size_t)w < sizeof(found) && is_dir(found)) {
                *why = "installed, found from the binary's location";
                return found;
            }
        }
    }
    *why = "installed";
    return SIM800EMU_INSTALL_PROFILES_DIR;
}

/* "--name" of the option that getopt_long returned as c. */
static const char *option_name(const struct option *longopts, int c)
{
    for (const struct option *lo = longopts; lo->name; lo++)
        if (lo->val == c)
            return lo->name;
    return "an option";
}

static int parse_options(int argc, char **argv, struct options *o)
{
    static const struct option longopts[] = {
        {"profile", required_argument, NULL, 'p'},
        {"profiles-dir", required_argument, NULL, 'D'},
        {"modems", required_argument, NULL, 'n'},
        {"link", required_argument, NULL, 'l'},
        {"trace", required_argument, NULL, 't'},
        {"set", required_argument, NULL, 's'},
        {"map", required_argument, NULL, 'm'},
        {"only-mapped", no_argument, NULL, 'O'},
        {"ca-file", required_argument, NULL, 'C'},
        {"keylog", required_argument, NULL, 'K'},
        {"tls-verify", required_argument, NULL, 'T'},
        {"dns", required_argument, NULL, 'N'},
        {"storage", required_argument, NULL, 'S'},
        {"timing", required_argument, NULL, 'R'},
        {"control", required_argument, NULL, 'X'},
        {"listen", required_argument, NULL, 'L'},
        {"control-tcp", required_argument, NULL, 'U'},
        {"listen-raw", no_argument, NULL, 'W'},
        {"fault", required_argument, NULL, 'F'},
        {"profile-keys", no_argument, NULL, 'P'},
        {"request", required_argument, NULL, 'Q'},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof(*o));
    o->profile = "sim800l-r14.18";
    /* --profiles-dir, else $SIM800EMU_PROFILES, else the shipped ones. */
    const char *shipped_why;
    const char *shipped = shipped_profiles_dir(&shipped_why);
    profile_set_shipped_dir(shipped);
    o->profiles_dir = getenv("SIM800EMU_PROFILES");
    o->profiles_why = "$SIM800EMU_PROFILES";
    if (!o->profiles_dir || !o->profiles_dir[0]) {
        o->profiles_dir = shipped;
        o->profiles_why = shipped_why;
    }
    o->modems = 1;
    int c;
    /* Options --request and --profile-keys would leave unused: refused. */
    const char *unused_by_request = NULL, *unused_by_keys = NULL;
    while ((c = getopt_long(argc, argv, "p:n:l:t:s:m:Vh", longopts, NULL)) != -1) {
        if (c != 'Q' && c != '?')
            unused_by_request = option_name(longopts, c);
        if (!strchr("pDsRTP?", c))
            unused_by_keys = option_name(longopts, c);
        char *end;
        switch (c) {
        case 'p':
            o->profile = optarg;
            break;
        case 'D':
            o->profiles_dir = optarg;
            o->profiles_why = "--profiles-dir";
            break;
        case 'n':
            errno = 0;
            o->modems = strtol(optarg, &end, 10);
            if (errno || *end || o->modems < 1 || o->modems > MODEMS_MAX) {
                fprintf(stderr, "sim800emu: --modems takes 1 to %d\n", MODEMS_MAX);
                return -1;
            }
            break;
        case 'l':
            o->link = optarg;
            break;
        case 't':
            o->trace = optarg;
            break;
        case 's':
            if (o->noverrides >= OVERRIDES_MAX) {
                fprintf(stderr, "sim800emu: too many --set options\n");
                return -1;
            }
            o->overrides[o->noverrides++] = optarg;
            break;
        case 'm': {
            char err[400];
            if (o->net.nmap >= NET_MAP_MAX) {
                fprintf(stderr, "sim800emu: at most %d --map options\n", NET_MAP_MAX);
                return -1;
            }
            if (net_parse_map(optarg, &o->net.map[o->net.nmap], err, sizeof(err)) < 0) {
                fprintf(stderr, "sim800emu: --map %s\n", err);
                return -1;
            }
            o->net.nmap++;
            break;
        }
        case 'O':
            o->net.only_mapped = true;
            break;
        case 'S':
            o->storage = optarg;
            break;
        case 'L':
            o->listen = optarg;
            break;
        case 'U':
            o->control_tcp = optarg;
            break;
        case 'W':
            o->listen_raw = true;
            break;
        case 'X':
            o->control = optarg;
            break;
        case 'F': {
            char err[400];
            if (o->nfaults >= FAULTS_MAX) {
                fprintf(stderr, "sim800emu: at most %d --fault options\n", FAULTS_MAX);
                return -1;
            }
            if (fault_glue_check(optarg, err, sizeof(err)) < 0) {
                fprintf(stderr, "sim800emu: --fault %s: %s\n", optarg, err);
                return -1;
            }
            o->faults[o->nfaults++] = optarg;
            break;
        }
        case 'T':
            o->tls_verify = optarg;
            break;
        case 'R':
            if (strcmp(optarg, "real") != 0 && strcmp(optarg, "fast") != 0) {
                fprintf(stderr, "sim800emu: --timing takes real or fast, not '%s'\n", optarg);
                return -1;
            }
            o->timing = optarg;
            break;
        case 'C':
        case 'K':
        case 'N': {
            char *dst = c == 'C'   ? o->net.ca_file
                        : c == 'K' ? o->net.keylog_file
                                   : o->net.dns_server;
            size_t cap = c == 'N' ? sizeof(o->net.dns_server) : sizeof(o->net.ca_file);
            if (!str_copy(dst, cap, optarg)) {
                fprintf(stderr, "sim800emu: option argument too long: %s\n", optarg);
                return -1;
            }
            break;
        }
        case 'V':
            o->version = true;
            break;
        case 'P':
            o->profile_keys = true;
            break;
        case 'Q':
            o->request = optarg;
            break;
        case 'h': {
            usage(stdout);
            char names[400];
            if (profile_list(o->profiles_dir, names, sizeof(names)) > 0)
                printf("\nProfiles (-p NAME, from %s):\n  %s\n", o->profiles_dir, names);
            exit(0);
        }
        default:
            /* getopt said what is wrong in one line: no page of usage after it. */
            fprintf(stderr, "sim800emu: see sim800emu --help\n");
            return -1;
        }
    }
    if (o->version) {
        printf("sim800emu %s\nprofiles: %s (%s)\nconfigured profiles: %s\n", SIM800EMU_VERSION,
               o->profiles_dir, o->profiles_why, SIM800EMU_INSTALL_PROFILES_DIR);
        exit(0);
    }
    if (o->request && unused_by_request) {
        fprintf(stderr, "sim800emu: --request is a client: --%s has no effect with it\n",
                unused_by_request);
        return -1;
    }
    if (o->profile_keys && unused_by_keys) {
        fprintf(stderr,
                "sim800emu: --profile-keys takes -p, --profiles-dir, --timing, --set and "
                "--tls-verify; --%s has no effect with it\n",
                unused_by_keys);
        return -1;
    }
    if (o->request) /* the words after the options are the request */
        exit(control_request(o->request, argv + optind, argc - optind, REQUEST_TIMEOUT_S));
    if (optind < argc) {
        fprintf(stderr, "sim800emu: unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
    if (o->link && o->modems > 1 && !strstr(o->link, "%d")) {
        fprintf(stderr, "sim800emu: --link needs %%d with more than one modem\n");
        return -1;
    }
    return 0;
}

static int apply_override(struct profile *p, const char *spec)
{
    char buf[512], err[320];
    if (!str_copy(buf, sizeof(buf), spec))
        goto bad;
    char *eq = strchr(buf, '=');
    char *dot = strchr(buf, '.');
    if (!eq || !dot || dot > eq)
        goto bad;
    *eq = '\0';
    *dot = '\0';
    if (profile_set(p, buf, dot + 1, eq + 1, err, sizeof(err)) < 0) {
        fprintf(stderr, "sim800emu: --set %s: %s\n", spec, err);
        return -1;
    }
    return 0;
bad:
    fprintf(stderr, "sim800emu: --set takes SECTION.KEY=VALUE, not '%s'\n", spec);
    return -1;
}

/* Expands the first "%d" of the link pattern with the modem index. */
static void link_for(const char *pattern, long index, char *out, size_t cap)
{
    const char *pct = strstr(pattern, "%d");
    if (!pct) {
        snprintf(out, cap, "%s", pattern);
        return;
    }
    snprintf(out, cap, "%.*s%ld%s", (int)(pct - pattern), pattern, index, pct + 2);
}

static void stop_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
    (void)w;
    (void)revents;
    ev_break(loop, EVBREAK_ALL);
}

int sim800emu_main(int argc, char **argv)
{
    struct options opt;
    if (parse_options(argc, argv, &opt) < 0)
        return 2;

    /* One way out: whatever was set up is released at `out`, in reverse
     * order; each release does nothing for what was never set up.  Until the
     * paths are printed a failure is a usage error (2). */
    static struct profile profile;
    char err[512];
    int status = 2;
    struct ev_loop *loop = NULL;
    struct modem **modems = NULL;
    long created = 0;
    ev_signal sigint, sigterm;
    ev_signal_init(&sigint, stop_cb, SIGINT);
    ev_signal_init(&sigterm, stop_cb, SIGTERM);
    if (service_profile_load(&profile, sim800_services, opt.profile, opt.profiles_dir, err,
                             sizeof(err)) < 0) {
        fprintf(stderr, "sim800emu: %s\n", err);
        goto out;
    }
    /* --timing presets the delays whose rows give a value for it, before
     * --set so that one figure can still be changed; "real" is what an
     * unchanged program sees from a module on a GPRS network (README
     * "Timing" gives the sources of the figures). */
    if (opt.timing &&
        profile_set_timing(&profile, strcmp(opt.timing, "real") == 0, err, sizeof(err)) < 0) {
        fprintf(stderr, "sim800emu: --timing %s: %s\n", opt.timing, err);
        goto out;
    }
    for (int i = 0; i < opt.noverrides; i++)
        if (apply_override(&profile, opt.overrides[i]) < 0)
            goto out;
    /* A handshake that fails on the version or ciphers names the profile
     * that would connect (README "Using it": your own server). */
    if (profile.tls_max < TLS1_2_VERSION)
        tls_set_mismatch_advice("a server of TLS 1.2 and later connects with -p sim800c-tls12 "
                                "(TLS 1.0 to 1.2), or let the server accept TLS 1.0");
    if (opt.tls_verify &&
        profile_set(&profile, "tls", "verify", opt.tls_verify, err, sizeof(err)) < 0) {
        fprintf(stderr, "sim800emu: --tls-verify %s: %s\n", opt.tls_verify, err);
        goto out;
    }
    if (profile_validate(&profile, err, sizeof(err)) < 0) {
        fprintf(stderr, "sim800emu: %s\n", err);
        goto out;
    }
    if (opt.profile_keys) {
        profile_print_keys(&profile, stdout);
        status = fflush(stdout) == 0 ? 0 : 1;
        goto out;
    }
    /* --ca-file wins over the profile's [tls] ca_file, which is relative to
     * the profile's own directory. */
    if (!opt.net.ca_file[0] && profile.tls_ca_file[0]) {
        const char *slash = strrchr(profile.path, '/');
        char path[1100];
        if (profile.tls_ca_file[0] == '/' || !slash)
            snprintf(path, sizeof(path), "%s", profile.tls_ca_file);
        else
            snprintf(path, sizeof(path), "%.*s/%s", (int)(slash - profile.path), profile.path,
                     profile.tls_ca_file);
        if (!str_copy(opt.net.ca_file, sizeof(opt.net.ca_file), path)) {
            fprintf(stderr, "sim800emu: [tls] ca_file: path too long\n");
            goto out;
        }
    }
    if (opt.net.ca_file[0]) {
        FILE *f = fopen(opt.net.ca_file, "r");
        if (!f) {
            fprintf(stderr, "sim800emu: --ca-file %s: %s\n", opt.net.ca_file, strerror(errno));
            goto out;
        }
        fclose(f);
    }
    if (opt.trace && trace_open(opt.trace) < 0) {
        fprintf(stderr, "sim800emu: cannot open trace file %s: %s\n", opt.trace, strerror(errno));
        goto out;
    }

    /* --storage wins over the profile's [fs] storage. */
    const char *storage =
        opt.storage ? opt.storage : (profile.fs_storage[0] ? profile.fs_storage : NULL);
    if (fs_set_base(storage, err, sizeof(err)) < 0) {
        fprintf(stderr, "sim800emu: %s\n", err);
        goto out;
    }
    /* A client vanishing mid-write must not kill us. */
    signal(SIGPIPE, SIG_IGN);
    loop = EV_DEFAULT;
    if (net_init(loop, &opt.net, err, sizeof(err)) < 0) {
        fprintf(stderr, "sim800emu: %s\n", err);
        goto out;
    }
    /* [timing]: the radio network's round trips, for every connection. */
    conn_set_latency(profile.connect_ms / 1000.0, profile.tls_handshake_ms / 1000.0);
    /* Build the profile's TLS context now, so a bad cipher list or CA file
     * stops us here rather than at the first connection. */
    {
        struct tls_policy pol = {.min_version = profile.tls_min,
                                 .max_version = profile.tls_max,
                                 .send_sni = profile.tls_sni};
        str_copy(pol.ciphers, sizeof(pol.ciphers), profile.tls_ciphers);
        if (!tls_ctx_for(&pol, err, sizeof(err))) {
            fprintf(stderr, "sim800emu: %s: %s\n", profile.path, err);
            goto out;
        }
    }
    /* Signals are ours before any path is printed: a client may stop us the
     * moment it has read them, and the exit must still be clean. */
    ev_signal_start(loop, &sigint);
    ev_signal_start(loop, &sigterm);
    /* --link replaces a symlink or nothing: a mistyped path to a file is an
     * error before anything is created. */
    if (opt.link) {
        for (long i = 0; i < opt.modems; i++) {
            char link[512];
            link_for(opt.link, i, link, sizeof(link));
            if (pty_link_check(link, err, sizeof(err)) < 0) {
                fprintf(stderr, "sim800emu: %s\n", err);
                goto out;
            }
        }
    }
    /* The per-modem identities are profile values: a bad one is a usage error. */
    for (long i = 0; i < opt.modems; i++) {
        struct modem_identity id;
        if (identity_for(&profile, (int)i, &id, err, sizeof(err)) < 0) {
            fprintf(stderr, "sim800emu: %s: %s\n", profile.path, err);
            goto out;
        }
    }
    modems = xcalloc((size_t)opt.modems, sizeof(*modems));
    for (long i = 0; i < opt.modems; i++) {
        char link[512];
        if (opt.link)
            link_for(opt.link, i, link, sizeof(link));
        modems[i] = modem_create((int)i, loop, &profile, sim800_services, opt.link ? link : NULL,
                                 err, sizeof(err));
        if (!modems[i]) {
            fprintf(stderr, "sim800emu: modem %ld: %s\n", i, err);
            status = 1;
            goto out;
        }
        created = i + 1;
    }
    /* Faults: the profile's [faults], then --fault, then the control
     * socket, all before any path is printed. */
    fault_glue_init(loop, modems, opt.modems);
    for (int i = 0; i < profile.nfaults; i++)
        if (fault_glue_add(profile.faults[i], strlen(profile.faults[i]), err, sizeof(err)) < 0) {
            fprintf(stderr, "sim800emu: %s: [faults] %s: %s\n", profile.path, profile.faults[i],
                    err);
            goto out;
        }
    for (int i = 0; i < opt.nfaults; i++)
        if (fault_glue_add(opt.faults[i], strlen(opt.faults[i]), err, sizeof(err)) < 0) {
            fprintf(stderr, "sim800emu: --fault %s: %s\n", opt.faults[i], err);
            goto out;
        }
    if (opt.control && control_open(loop, opt.control, err, sizeof(err)) < 0) {
        fprintf(stderr, "sim800emu: %s\n", err);
        goto out;
    }
    if (opt.control_tcp &&
        control_open_tcp(loop, opt.control_tcp, getenv("SIM800EMU_CONTROL_TOKEN"), err,
                         sizeof(err)) < 0) {
        fprintf(stderr, "sim800emu: %s\n", err);
        goto out;
    }
    if (opt.listen_raw && !opt.listen) {
        fprintf(stderr, "sim800emu: --listen-raw needs --listen [ADDR:]PORT\n");
        status = 2;
        goto out;
    }
    if (opt.listen) {
        char addr[64] = "";
        const char *colon = strrchr(opt.listen, ':');
        const char *port_s = colon ? colon + 1 : opt.listen;
        if (colon)
            snprintf(addr, sizeof(addr), "%.*s", (int)(colon - opt.listen), opt.listen);
        char *end;
        long port = strtol(port_s, &end, 10);
        if (*end || end == port_s || port < 1 || port + opt.modems - 1 > 65535) {
            fprintf(stderr, "sim800emu: --listen %s: a port 1-65535 (each modem takes the next)\n",
                    opt.listen);
            status = 2;
            goto out;
        }
        if (serial_net_start(loop, modems, opt.modems, addr[0] ? addr : NULL, (int)port,
                             !opt.listen_raw, err, sizeof(err)) < 0) {
            fprintf(stderr, "sim800emu: %s\n", err);
            goto out;
        }
    }
    for (long i = 0; i < opt.modems; i++)
        printf("%s\n", modem_port_path(modems[i]));
    fflush(stdout);

    status = 0;
    ev_run(loop, 0);
out:
    serial_net_stop();
    control_close();
    fault_glue_shutdown();
    if (loop) {
        ev_signal_stop(loop, &sigint);
        ev_signal_stop(loop, &sigterm);
    }
    /* An orderly stop: links end with close_notify and FIN, not a reset
     * (bounded: whatever is not out within the time is aborted). */
    conn_close_orderly(STOP_CLOSE_S);
    for (long i = 0; i < created; i++)
        modem_destroy(modems[i]);
    free(modems);
    conn_drop_closing(); /* conns still closing after a flush (an FTP QUIT) */
    net_shutdown();
    tls_shutdown();
    trace_close();
    fs_cleanup_base();
    if (loop)
        ev_loop_destroy(loop);
    return status;
}
