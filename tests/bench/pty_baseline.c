/* pty_baseline: the bare-PTY baseline the benchmarks compare sim800emu with.
 *
 * It opens pseudo-terminals the way the emulator does (posix_openpt, slave in
 * raw mode), prints one /dev/pts/N path per line on stdout, and then does the
 * least work possible for each benchmark, so that the ratio emulator/baseline
 * shows what the emulator itself costs on top of the kernel's PTY:
 *
 *   pty_baseline echo [N]     N PTYs (default 1); every '\r' read from a PTY is
 *                             answered at once with the fixed bytes
 *                             "AT\r\r\nOK\r\n" (what the emulator answers to
 *                             "AT\r" with echo on).
 *   pty_baseline source FILE  one PTY; once the client has written one byte,
 *                             writes the contents of FILE to it, as fast as the
 *                             PTY takes them.
 *   pty_baseline source FILE BLOCK
 *                             lock-step: each '\r' from the client is answered
 *                             with the next BLOCK bytes of FILE (one request in
 *                             flight, like AT+CIPRXGET=2 reads).
 *   pty_baseline sink N [BLOCK]
 *                             one PTY; reads exactly N bytes, then answers
 *                             "<sha256 hex> <N>\n"; with BLOCK, also answers
 *                             "k" after every BLOCK bytes (lock-step uploads).
 *
 * A slave descriptor is held open for the whole run, so the master never sees
 * a hang-up between clients.  Runs until SIGTERM/SIGINT (exit status 0). */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

static const char ANSWER[] = "AT\r\r\nOK\r\n";

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void die(const char *what)
{
    fprintf(stderr, "pty_baseline: %s: %s\n", what, strerror(errno));
    exit(1);
}

struct port {
    int master;
    int slave; /* held open: no hang-up when the client closes */
    char path[128];
};

static void open_port(struct port *p)
{
    p->master = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (p->master < 0 || grantpt(p->master) < 0 || unlockpt(p->master) < 0)
        die("posix_openpt");
    if (ptsname_r(p->master, p->path, sizeof(p->path)) != 0)
        die("ptsname_r");
    p->slave = open(p->path, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (p->slave < 0)
        die(p->path);
    struct termios t;
    if (tcgetattr(p->slave, &t) < 0)
        die("tcgetattr");
    cfmakeraw(&t);
    cfsetispeed(&t, B115200);
    cfsetospeed(&t, B115200);
    if (tcsetattr(p->slave, TCSANOW, &t) < 0)
        die("tcsetattr");
}

/* Writes all of buf to a non-blocking fd, waiting for room when needed.
 * Returns 0, or -1 when the program is told to stop. */
static int write_all(int fd, const uint8_t *buf, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, buf, n);
        if (w > 0) {
            buf += w;
            n -= (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR) {
            if (stop)
                return -1;
            continue;
        }
        if (w < 0 && (errno == EAGAIN || errno == EIO)) {
            struct pollfd pfd = {.fd = fd, .events = POLLOUT};
            if (poll(&pfd, 1, 100) < 0 && errno != EINTR)
                die("poll");
            if (stop)
                return -1;
            continue;
        }
        die("write");
    }
    return 0;
}

/* Waits until fd is readable; returns bytes read (> 0) or -1 on stop. */
static ssize_t read_some(int fd, uint8_t *buf, size_t cap)
{
    for (;;) {
        if (stop)
            return -1;
        ssize_t n = read(fd, buf, cap);
        if (n > 0)
            return n;
        if (n < 0 && errno != EAGAIN && errno != EINTR && errno != EIO)
            die("read");
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (poll(&pfd, 1, 100) < 0 && errno != EINTR)
            die("poll");
    }
}

/* Idles until SIGTERM/SIGINT; polls the flag, so a signal that lands just
 * before the wait cannot be missed (as it could with pause()). */
static void wait_for_stop(void)
{
    while (!stop)
        poll(NULL, 0, 50);
}

static void print_paths(const struct port *ports, long n)
{
    for (long i = 0; i < n; i++)
        printf("%s\n", ports[i].path);
    if (fflush(stdout) != 0)
        die("stdout");
}

static int run_echo(long n)
{
    struct port *ports = calloc((size_t)n, sizeof(*ports));
    if (!ports)
        die("calloc");
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0)
        die("epoll_create1");
    for (long i = 0; i < n; i++) {
        open_port(&ports[i]);
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = ports[i].master};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, ports[i].master, &ev) < 0)
            die("epoll_ctl");
    }
    print_paths(ports, n);
    uint8_t buf[4096];
    uint8_t out[sizeof(buf) * (sizeof(ANSWER) - 1)];
    struct epoll_event evs[64];
    while (!stop) {
        int r = epoll_wait(ep, evs, 64, 200);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            die("epoll_wait");
        }
        for (int i = 0; i < r; i++) {
            int fd = evs[i].data.fd;
            ssize_t got = read(fd, buf, sizeof(buf));
            if (got <= 0)
                continue;
            size_t len = 0;
            for (ssize_t k = 0; k < got; k++) {
                if (buf[k] == '\r') {
                    memcpy(out + len, ANSWER, sizeof(ANSWER) - 1);
                    len += sizeof(ANSWER) - 1;
                }
            }
            if (len && write_all(fd, out, len) < 0)
                break;
        }
    }
    return 0;
}

/* block == 0: stream the whole file after the client's first byte.
 * block > 0: lock-step; every '\r' from the client is answered with the next
 * `block` bytes of the file (fewer at its end, nothing after it). */
static int run_source(const char *file, long block)
{
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        die(file);
    struct stat st;
    if (fstat(fd, &st) < 0)
        die(file);
    size_t size = (size_t)st.st_size;
    const uint8_t *data = NULL;
    if (size > 0) {
        data = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (data == MAP_FAILED)
            die("mmap");
    }
    close(fd);
    struct port p;
    open_port(&p);
    print_paths(&p, 1);
    uint8_t in[4096];
    size_t off = 0;
    while (!stop && off < size) {
        ssize_t n = read_some(p.master, in, sizeof(in));
        if (n < 0)
            return 0;
        if (block == 0) {
            write_all(p.master, data, size);
            break;
        }
        for (ssize_t k = 0; k < n && off < size; k++) {
            if (in[k] != '\r')
                continue;
            size_t len = size - off < (size_t)block ? size - off : (size_t)block;
            if (write_all(p.master, data + off, len) < 0)
                return 0;
            off += len;
        }
    }
    wait_for_stop();
    return 0;
}

/* Reads `want` bytes, then answers "<sha256 hex> <want>\n".  block > 0: also
 * answers "k" each time another `block` bytes have arrived (lock-step). */
static int run_sink(long long want, long block)
{
    struct port p;
    open_port(&p);
    print_paths(&p, 1);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
        die("EVP_DigestInit_ex");
    uint8_t buf[65536];
    uint8_t acks[sizeof(buf)];
    memset(acks, 'k', sizeof(acks));
    long long got = 0;
    while (got < want) {
        ssize_t n = read_some(p.master, buf, sizeof(buf));
        if (n < 0)
            return 0;
        long long take = n;
        if (take > want - got)
            take = want - got;
        EVP_DigestUpdate(md, buf, (size_t)take);
        long long nacks = block > 0 ? (got + take) / block - got / block : 0;
        got += take;
        if (nacks > 0 && write_all(p.master, acks, (size_t)nacks) < 0)
            return 0;
    }
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    EVP_DigestFinal_ex(md, digest, &dlen);
    EVP_MD_CTX_free(md);
    char line[2 * EVP_MAX_MD_SIZE + 32];
    size_t len = 0;
    for (unsigned int i = 0; i < dlen; i++)
        len += (size_t)snprintf(line + len, sizeof(line) - len, "%02x", digest[i]);
    len += (size_t)snprintf(line + len, sizeof(line) - len, " %lld\n", want);
    write_all(p.master, (const uint8_t *)line, len);
    wait_for_stop();
    return 0;
}

static void usage(void)
{
    fputs("usage: pty_baseline echo [N] | source FILE [BLOCK] | sink N [BLOCK]\n", stderr);
    exit(2);
}

int main(int argc, char **argv)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (argc < 2)
        usage();
    if (strcmp(argv[1], "echo") == 0 && argc <= 3) {
        long n = argc == 3 ? strtol(argv[2], NULL, 10) : 1;
        if (n < 1)
            usage();
        return run_echo(n);
    }
    long block = argc == 4 ? strtol(argv[3], NULL, 10) : 0;
    if (block < 0 || block > 65536)
        usage();
    if (strcmp(argv[1], "source") == 0 && (argc == 3 || argc == 4))
        return run_source(argv[2], block);
    if (strcmp(argv[1], "sink") == 0 && (argc == 3 || argc == 4)) {
        long long n = strtoll(argv[2], NULL, 10);
        if (n < 0)
            usage();
        return run_sink(n, block);
    }
    usage();
    return 2;
}
