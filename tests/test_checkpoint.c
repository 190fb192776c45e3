/* A full disk while the search writes a checkpoint, simulated with
 * RLIMIT_FSIZE (SIGXFSZ ignored, so writes fail with EFBIG): the search
 * stops with an error naming the file, and the previous checkpoint's files
 * are intact, with no temporary file left behind. */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>

#include "compiler/sema.h"
#include "grammar/parse.h"
#include "search/evolve.h"

static const char sgd[] = "rule sgd(lr = 0.01) {\n"
                          "    return lr * g;\n"
                          "}\n";

/* Any rule that checks scores by its length: no training needed. */
static double len_eval(void *ctx, const char *text)
{
    (void)ctx;
    return 1.0 / (1.0 + (double)strlen(text) / 100.0);
}

static char *slurp(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    Source s;
    if (source_read_file(&s, path) < 0)
        return NULL;
    return (char *)s.text;
}

/* What the progress callback does: once the first checkpoint is on disk,
 * remember its files and lower the file size limit below their size. */
typedef struct Disk {
    const char *dir;
    rlim_t limit;
    bool full;
    char *summary, *rank1, *best;
} Disk;

static void fill_disk(void *ctx, const EvoProgress *p)
{
    Disk *d = ctx;
    if (d->full || p->final)
        return;
    char *summary = slurp(d->dir, "summary.json");
    if (!summary)
        return;
    d->summary = summary;
    d->rank1 = slurp(d->dir, "rank-01.opt");
    d->best = slurp(d->dir, "best.opt");
    struct rlimit rl = {.rlim_cur = d->limit, .rlim_max = RLIM_INFINITY};
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
    d->full = true;
}

/* Runs a search into a new directory with a file size limit of `limit`
 * bytes from the first checkpoint on; returns evo_run's status. */
static int run_full(Disk *d, char *dir, rlim_t limit, char *err,
                    size_t errlen)
{
    assert_non_null(mkdtemp(dir));
    *d = (Disk){.dir = dir, .limit = limit};

    Arena a;
    arena_init(&a);
    Rule *warm = parse_checked(&a, "sgd.opt", sgd, strlen(sgd), stderr, NULL);
    assert_non_null(warm);
    const char *origin = "sgd.opt";
    EvoConfig c = evo_default_config();
    c.population = 8;
    c.tournament = 2;
    c.budget = 200;
    c.seconds = 0;
    c.workers = 0;
    c.topk = 3;
    c.checkpoint = 16;
    c.out_dir = dir;
    c.proxy = "rule length";
    c.progress = fill_disk;
    c.progress_ctx = d;
    EvoTask t = {.name = "length", .eval = len_eval};

    struct rlimit saved;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
    signal(SIGXFSZ, SIG_IGN);
    EvoResult res;
    int rc = evo_run(&c, &t, &warm, &origin, 1, &res, err, errlen);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
    signal(SIGXFSZ, SIG_DFL);
    arena_free(&a);
    return rc;
}

/* No file in dir is a leftover temporary (".NAME.tmp"). */
static void assert_no_temporaries(const char *dir)
{
    DIR *dd = opendir(dir);
    assert_non_null(dd);
    struct dirent *e;
    while ((e = readdir(dd)))
        if (strstr(e->d_name, ".tmp"))
            fail_msg("temporary file %s left in %s", e->d_name, dir);
    closedir(dd);
}

static void assert_same(const char *dir, const char *name, const char *was)
{
    char *now = slurp(dir, name);
    assert_non_null(was);
    assert_non_null(now);
    assert_string_equal(now, was);
    free(now);
}

static void remove_dir(const char *dir)
{
    DIR *dd = opendir(dir);
    struct dirent *e;
    char path[600];
    while (dd && (e = readdir(dd))) {
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            unlink(path);
    }
    if (dd)
        closedir(dd);
    rmdir(dir);
}

static void free_disk(Disk *d)
{
    free(d->summary);
    free(d->rank1);
    free(d->best);
}

/* 64 bytes: no rule text or summary fits, so the next checkpoint's first
 * write fails part way. */
static void test_checkpoint_full_disk_keeps_previous(void **state)
{
    (void)state;
    char dir[] = "/tmp/symopt-test-checkpoint-XXXXXX", err[512] = "";
    Disk d;
    assert_int_equal(run_full(&d, dir, 64, err, sizeof err), -1);

    assert_true(d.full);
    char want[128];
    snprintf(want, sizeof want, "cannot write '%s/", dir);
    if (!strstr(err, want) || !strstr(err, strerror(EFBIG)))
        fail_msg("error '%s' does not name the file and EFBIG", err);
    assert_same(dir, "summary.json", d.summary);
    assert_same(dir, "rank-01.opt", d.rank1);
    assert_same(dir, "best.opt", d.best);
    assert_non_null(strstr(d.summary, "\"status\": \"running\""));
    assert_no_temporaries(dir);

    free_disk(&d);
    remove_dir(dir);
}

/* A limit the small files stay under but log.jsonl, which only grows,
 * soon passes: the search stops with an error naming log.jsonl instead of
 * going on without its log. */
static void test_checkpoint_log_full(void **state)
{
    (void)state;
    char dir[] = "/tmp/symopt-test-checkpoint-XXXXXX", err[512] = "";
    Disk d;
    int rc = run_full(&d, dir, 8192, err, sizeof err);

    assert_true(d.full);
    assert_int_equal(rc, -1);
    if (!strstr(err, "log.jsonl") || !strstr(err, strerror(EFBIG)))
        fail_msg("error '%s' does not name log.jsonl and EFBIG", err);
    char *summary = slurp(dir, "summary.json");
    assert_non_null(summary);
    assert_non_null(strstr(summary, "\"status\": \"running\""));
    free(summary);
    assert_no_temporaries(dir);

    free_disk(&d);
    remove_dir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checkpoint_full_disk_keeps_previous),
        cmocka_unit_test(test_checkpoint_log_full),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
