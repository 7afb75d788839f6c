/* AT+FS*: the module's flash file system (as client libraries use it), in a host directory per
 * modem.  Every failure is a plain ERROR (as client libraries see it). */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "fs_store.h"
#include "modem.h"
#include "reply.h"

/* Its profile keys (profile.h), each default in its row. */
struct fs_config {
    int capacity; /* [fs] capacity: bytes of user space AT+FSMEM starts from (our choice) */
    int sync;     /* [fs] sync: 0 no fsync (survives a kill), 1 files, 2 files and directories */
};

static const struct profile_key profile_keys[] = {
    PROFILE_INT_KEY(struct fs_config, "fs", "capacity", capacity, 0, 67108864, "262144"),
    PROFILE_INT_KEY(struct fs_config, "fs", "sync", sync, 0, 2, "0"),
    {0},
};

static const struct profile_section profile_section = {"fs", profile_keys,
                                                       sizeof(struct fs_config)};

static const struct fs_config *fs_config(const struct modem *m)
{
    return service_config(m, &fs_service);
}

static char base_dir[4096];
static bool base_is_temp;

int fs_set_base(const char *dir, char *err, size_t errlen)
{
    if (dir) {
        if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
            snprintf(err, errlen, "--storage %s: %s", dir, strerror(errno));
            return -1;
        }
        str_copy(base_dir, sizeof(base_dir), dir);
        base_is_temp = false;
        return 0;
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(base_dir, sizeof(base_dir), "%s/sim800emu-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(base_dir)) {
        snprintf(err, errlen, "cannot create a storage directory: %s", strerror(errno));
        base_dir[0] = '\0';
        return -1;
    }
    base_is_temp = true;
    return 0;
}

const char *fs_base_dir(void) { return base_dir; }

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

void fs_cleanup_base(void)
{
    if (base_is_temp && base_dir[0])
        nftw(base_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    base_dir[0] = '\0';
}

static int fs_setup(struct modem *m, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    /* The directory is made on first use: a thousand modems that never
     * touch their flash start without a thousand mkdirs. */
    fs_of(m)->root_fd = -1;
    return 0;
}

/* The modem's storage directory, made (with the factory tree) on first use;
 * -1 without storage: every FS command then answers ERROR. */
static int root_of(struct modem *m)
{
    struct fs_state *f = fs_of(m);
    if (f->root_fd >= 0 || !base_dir[0])
        return f->root_fd;
    char dir[4200];
    snprintf(dir, sizeof(dir), "%s/modem%d", base_dir, m->id);
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        return -1;
    f->root_fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (f->root_fd < 0)
        return -1;
    /* A kill in the middle of a write leaves a temporary file: not ours. */
    fs_store_recover(f->root_fd);
    /* The factory tree: C:\User\ (as client libraries use it). */
    struct fs_path user;
    fs_path_parse("C:\\User\\", 8, &user);
    fs_store_mkdir(f->root_fd, &user);
    return f->root_fd;
}

static void fs_free(struct modem *m)
{
    if (fs_of(m)->root_fd >= 0)
        close(fs_of(m)->root_fd);
    fs_of(m)->root_fd = -1;
}

int fs_read_file(struct modem *m, const char *module_path, struct bytebuf *out)
{
    struct fs_path p;
    size_t size;
    int root = root_of(m);
    if (root < 0 || fs_path_parse(module_path, strlen(module_path), &p) < 0 ||
        fs_store_size(root, &p, &size) < 0)
        return -1;
    if (size == 0)
        return 0;
    return fs_store_read(root, &p, 0, size, out);
}

/* Bytes of user space: the profile's [fs] capacity (our choice where the manual is silent). */
static size_t capacity(const struct modem *m) { return (size_t)fs_config(m)->capacity; }

int fs_write_file(struct modem *m, const char *module_path, const uint8_t *data, size_t len,
                  bool append)
{
    struct fs_path p;
    int root = root_of(m);
    if (root < 0 || fs_path_parse(module_path, strlen(module_path), &p) < 0 || p.depth == 0)
        return -1;
    /* The directories on the way (C:\User\ftp\ for the FTP commands). */
    for (int d = 1; d < p.depth; d++) {
        struct fs_path dir = p;
        dir.depth = d;
        dir.trailing_sep = true;
        fs_store_mkdir(root, &dir);
    }
    size_t size;
    if (fs_store_size(root, &p, &size) < 0 && fs_store_create(root, &p) < 0)
        return -1;
    return fs_store_write(root, &p, append ? 1 : 0, data, len, capacity(m), fs_config(m)->sync);
}

/* --- arguments: paths come unquoted and may hold anything but ',' --- */

static int arg_path(struct at_args *a, struct fs_path *p)
{
    char text[FS_PATH_MAX + 3];
    bool quoted;
    if (at_arg_str(a, text, sizeof(text), &quoted) != AT_ARG_OK)
        return -1;
    return fs_path_parse(text, strlen(text), p);
}

static int cmd_fsdrive(struct modem *m, struct at_req *r)
{
    if (r->form == AT_FORM_TEST) {
        at_info(m, "+FSDRIVE: (0-1)");
        return AT_OK;
    }
    long n;
    if (at_arg_int(&r->args, 0, 1, &n) != AT_ARG_OK || !at_args_done(&r->args) || n != 0)
        return AT_ERROR; /* no SD card on this board */
    at_info(m, "+FSDRIVE: C");
    return AT_OK;
}

static int cmd_fscreate(struct modem *m, struct at_req *r)
{
    struct fs_path p;
    if (r->form == AT_FORM_TEST)
        return AT_OK;
    if (arg_path(&r->args, &p) < 0 || !at_args_done(&r->args) ||
        fs_store_create(root_of(m), &p) < 0)
        return AT_ERROR;
    return AT_OK;
}

static int fswrite_cb(struct modem *m, void *ud, enum at_data_end end, const uint8_t *data,
                      size_t len)
{
    (void)ud;
    struct fs_state *f = fs_of(m);
    /* A timeout keeps what arrived and answers TimeOut, no OK (as client libraries use it). */
    if (len > 0 && fs_store_write(root_of(m), &f->write_path, f->write_mode, data, len, capacity(m),
                                  fs_config(m)->sync) < 0)
        return end == AT_DATA_TIMEOUT ? at_final_text(m, "TimeOut") : AT_ERROR;
    if (end == AT_DATA_TIMEOUT)
        return at_final_text(m, "TimeOut");
    return AT_OK;
}

static int cmd_fswrite(struct modem *m, struct at_req *r)
{
    struct fs_state *f = fs_of(m);
    if (r->form == AT_FORM_TEST)
        return AT_OK;
    long mode, size, timeout;
    if (arg_path(&r->args, &f->write_path) < 0 || at_arg_int(&r->args, 0, 1, &mode) != AT_ARG_OK ||
        at_arg_int(&r->args, 1, FS_WRITE_MAX, &size) != AT_ARG_OK ||
        at_arg_int(&r->args, 1, 100, &timeout) != AT_ARG_OK || !at_args_done(&r->args))
        return AT_ERROR;
    /* The file must exist and the data fit, before any prompt (as client libraries see it). */
    if (fs_store_can_write(root_of(m), &f->write_path, (int)mode, (size_t)size, capacity(m)) < 0)
        return AT_ERROR;
    f->write_mode = (int)mode;
    struct at_data_req req = {
        .prompt = "\r\n> ",
        .fixed_len = (size_t)size,
        .timeout_ms = (unsigned)timeout * 1000u,
        .cb = fswrite_cb,
    };
    at_begin_data(m, &req);
    return AT_PENDING;
}

static int cmd_fsread(struct modem *m, struct at_req *r)
{
    if (r->form == AT_FORM_TEST)
        return AT_OK;
    struct fs_path p;
    long mode, size, pos;
    if (arg_path(&r->args, &p) < 0 || at_arg_int(&r->args, 0, 1, &mode) != AT_ARG_OK ||
        at_arg_int(&r->args, 1, FS_WRITE_MAX, &size) != AT_ARG_OK ||
        at_arg_int(&r->args, 0, 0x7fffffff, &pos) != AT_ARG_OK || !at_args_done(&r->args))
        return AT_ERROR;
    struct bytebuf out = {0};
    /* Mode 0 reads from the start whatever the position says (as client libraries use it). */
    if (fs_store_read(root_of(m), &p, mode == 0 ? 0 : (size_t)pos, (size_t)size, &out) < 0) {
        bytebuf_free(&out);
        return AT_ERROR;
    }
    /* No header: CR LF, the bytes raw, then OK (as client libraries use it). */
    at_data_header(m, NULL);
    at_raw(m, bytebuf_head(&out), bytebuf_pending(&out));
    bytebuf_free(&out);
    return AT_OK;
}

static int one_path(struct modem *m, struct at_req *r, int (*op)(int, const struct fs_path *))
{
    struct fs_path p;
    if (r->form == AT_FORM_TEST)
        return AT_OK;
    if (arg_path(&r->args, &p) < 0 || !at_args_done(&r->args) || op(root_of(m), &p) < 0)
        return AT_ERROR;
    return AT_OK;
}

static int cmd_fsdel(struct modem *m, struct at_req *r) { return one_path(m, r, fs_store_delete); }
static int cmd_fsmkdir(struct modem *m, struct at_req *r) { return one_path(m, r, fs_store_mkdir); }
static int cmd_fsrmdir(struct modem *m, struct at_req *r) { return one_path(m, r, fs_store_rmdir); }

static int size_info(struct modem *m, struct at_req *r, const char *name)
{
    struct fs_path p;
    size_t size;
    if (r->form == AT_FORM_TEST)
        return AT_OK;
    if (arg_path(&r->args, &p) < 0 || !at_args_done(&r->args) ||
        fs_store_size(root_of(m), &p, &size) < 0)
        return AT_ERROR;
    at_info(m, "+%s: %zu", name, size);
    return AT_OK;
}

static int cmd_fsflsize(struct modem *m, struct at_req *r) { return size_info(m, r, "FSFLSIZE"); }
/* The size alone: our choice (whether a date follows is undocumented). */
static int cmd_fsattri(struct modem *m, struct at_req *r) { return size_info(m, r, "FSATTRI"); }

static int cmd_fsmem(struct modem *m, struct at_req *r)
{
    if (r->form == AT_FORM_TEST)
        return AT_OK;
    if (root_of(m) < 0)
        return AT_ERROR;
    size_t used = fs_store_used(root_of(m)), cap = capacity(m);
    at_info(m, "+FSMEM: C:%zubytes", used < cap ? cap - used : 0);
    return AT_OK;
}

static int cmd_fsrename(struct modem *m, struct at_req *r)
{
    struct fs_path a, b;
    if (r->form == AT_FORM_TEST)
        return AT_OK;
    if (arg_path(&r->args, &a) < 0 || arg_path(&r->args, &b) < 0 || !at_args_done(&r->args) ||
        fs_store_rename(root_of(m), &a, &b) < 0)
        return AT_ERROR;
    return AT_OK;
}

static int cmd_fsls(struct modem *m, struct at_req *r)
{
    struct fs_path p;
    if (r->form == AT_FORM_TEST)
        return AT_OK;
    struct bytebuf out = {0};
    if (arg_path(&r->args, &p) < 0 || !at_args_done(&r->args) ||
        fs_store_list(root_of(m), &p, &out) < 0) {
        bytebuf_free(&out);
        return AT_ERROR;
    }
    /* One block: "\r\nA\\\r\nB.TXT\r\n" then OK (the layout is our choice). */
    if (bytebuf_pending(&out) > 0) {
        at_data_header(m, NULL);
        at_raw(m, bytebuf_head(&out), bytebuf_pending(&out));
    }
    bytebuf_free(&out);
    return AT_OK;
}

#define W (AT_FORM_TEST | AT_FORM_WRITE)
static const struct at_cmd rows[] = {
    {"+FSDRIVE", W, PROFILE_FEAT_FS, cmd_fsdrive, NULL},
    {"+FSCREATE", W, PROFILE_FEAT_FS, cmd_fscreate, NULL},
    {"+FSWRITE", W, PROFILE_FEAT_FS, cmd_fswrite, NULL},
    {"+FSREAD", W, PROFILE_FEAT_FS, cmd_fsread, NULL},
    {"+FSDEL", W, PROFILE_FEAT_FS, cmd_fsdel, NULL},
    {"+FSATTRI", W, PROFILE_FEAT_FS, cmd_fsattri, NULL},
    {"+FSMEM", AT_FORM_TEST | AT_FORM_EXEC, PROFILE_FEAT_FS, cmd_fsmem, NULL},
    {"+FSFLSIZE", W, PROFILE_FEAT_FS, cmd_fsflsize, NULL},
    {"+FSRENAME", W, PROFILE_FEAT_FS, cmd_fsrename, NULL},
    {"+FSLS", W, PROFILE_FEAT_FS, cmd_fsls, NULL},
    {"+FSMKDIR", W, PROFILE_FEAT_FS, cmd_fsmkdir, NULL},
    {"+FSRMDIR", W, PROFILE_FEAT_FS, cmd_fsrmdir, NULL},
};

static const struct at_cmd_table cmd_fs_table = {rows, ARRAY_SIZE(rows), .errors_are_cme = false};

/* --- the service --- */

static int service_init(struct modem *m, void *state, char *err, size_t errlen)
{
    return fs_setup(m, err, errlen);
}

/* The flash outlives resets; only the modem's end closes its directory. */
static void service_reset(struct modem *m, void *state, enum service_reset why)
{
    if (why == SERVICE_DESTROY)
        fs_free(m);
}

static const struct at_cmd_table *const tables[] = {&cmd_fs_table, NULL};

const struct service fs_service = {
    .name = "fs",
    .tables = tables,
    .state_size = sizeof(struct fs_state),
    .init = service_init,
    .reset = service_reset,
    .profile = &profile_section,
};
