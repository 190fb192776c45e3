/* Replays every input the fuzzers ever failed on (tests/fuzz/regressions/
 * <target>/), and the seed corpora, through the fuzz targets' own checks,
 * without libFuzzer, so that a fixed finding stays fixed in the ordinary
 * build. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* The checks are compiled into this program as they are into the fuzz
 * targets: the same code path, without a library of its own. */
#include "tests/fuzz/targets.c"

typedef const char *(*Check)(void *ctx, const uint8_t *data, size_t size);

static int not_hidden(const struct dirent *e)
{
    return e->d_name[0] != '.';
}

static uint8_t *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 4096;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    fclose(f);
    *size = len;
    return buf;
}

/* Runs check on every regular file in SYMOPT_SOURCE_DIR/sub, adding
 * their number to *files (a missing folder has none). Returns NULL, or
 * the first file's path and what it broke. */
static const char *replay(const char *sub, Check check, void *ctx, int *files)
{
    static char msg[4096];
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/%s", SYMOPT_SOURCE_DIR, sub);
    struct dirent **names;
    int n = scandir(dir, &names, not_hidden, alphasort);
    if (n < 0)
        return NULL;

    const char *bad = NULL;
    for (int i = 0; i < n; i++) {
        char path[2048];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
        free(names[i]);
        if (bad || stat(path, &st) < 0 || !S_ISREG(st.st_mode))
            continue;
        size_t size;
        uint8_t *data = slurp(path, &size);
        const char *what = check(ctx, data, size);
        free(data);
        if (what) {
            snprintf(msg, sizeof msg, "%s: %s", path, what);
            bad = msg;
        }
        ++*files;
    }
    free(names);
    return bad;
}

static const char *rule_check(void *ctx, const uint8_t *data, size_t size)
{
    (void)ctx;
    return fuzz_rule_check(data, size);
}

static const char *jit_check(void *ctx, const uint8_t *data, size_t size)
{
    return fuzz_jit_check(ctx, data, size);
}

static const char *idx_check(void *ctx, const uint8_t *data, size_t size)
{
    return fuzz_idx_check(ctx, data, size);
}

static void test_fuzz_rule_regressions(void **unused)
{
    (void)unused;
    static const char *const dirs[] = {"tests/fuzz/regressions/fuzz_rule",
                                       "examples", "tests/bad"};
    int n = 0;
    for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
        const char *msg = replay(dirs[i], rule_check, NULL, &n);
        if (msg)
            fail_msg("%s", msg);
    }
    assert_true(n >= 20);
}

static void test_fuzz_jit_regressions(void **unused)
{
    (void)unused;
    static const char *const dirs[] = {"tests/fuzz/regressions/fuzz_jit",
                                       "examples"};
    char err[256];
    Jit *jit = jit_new(err, sizeof err);
    if (!jit)
        fail_msg("%s", err);
    int n = 0;
    const char *msg = NULL;
    for (size_t i = 0; i < sizeof dirs / sizeof *dirs && !msg; i++)
        msg = replay(dirs[i], jit_check, jit, &n);
    jit_free(jit);
    if (msg)
        fail_msg("%s", msg);
    assert_true(n >= 10);
}

/* The IDX reader's memory must follow the file, not its header. The
 * replay runs in a child whose address space may grow by only
 * IDX_HEADROOM bytes, so a reader that trusts a short file's claim of
 * 2 GB fails (an out-of-memory error, or the sanitizer's abort) as it did
 * under libFuzzer's malloc limit. */
enum { IDX_HEADROOM = 512 << 20 };

static void idx_child(const char *dir)
{
    unsigned long pages = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f || fscanf(f, "%lu", &pages) != 1)
        _exit(3);
    fclose(f);
    rlim_t now = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE);
    struct rlimit lim = {now + IDX_HEADROOM, now + IDX_HEADROOM};
    if (setrlimit(RLIMIT_AS, &lim) < 0)
        _exit(3);

    static const char *const dirs[] = {"tests/fuzz/regressions/fuzz_idx",
                                       "tests/fuzz/seeds/idx"};
    int n = 0;
    for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
        const char *msg = replay(dirs[i], idx_check, (void *)dir, &n);
        if (msg) {
            fprintf(stderr, "%s\n", msg);
            _exit(1);
        }
    }
    _exit(n >= 5 ? 0 : 2);
}

static void test_fuzz_idx_regressions(void **unused)
{
    (void)unused;
    char dir[] = "/tmp/symopt-test-idx-XXXXXX";
    assert_non_null(mkdtemp(dir));
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        idx_child(dir);

    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    rmdir(dir);
    if (!WIFEXITED(status))
        fail_msg("IDX replay died of signal %d", WTERMSIG(status));
    if (WEXITSTATUS(status) == 2)
        fail_msg("fewer than 5 IDX inputs found");
    assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fuzz_rule_regressions),
        cmocka_unit_test(test_fuzz_jit_regressions),
        cmocka_unit_test(test_fuzz_idx_regressions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
