/* A tiny search on a synthetic task (a quadratic minimized with the rule,
 * run by the interpreter): the best fitness never falls, the budget is
 * kept, the results re-parse, a crashing worker does not stop the search,
 * and the number of workers does not change the run. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "compiler/interp.h"
#include "compiler/sema.h"
#include "grammar/parse.h"
#include "search/evolve.h"

enum { QN = 16, QSTEPS = 40 };

static const char sgd[] = "rule sgd(lr = 0.01) {\n"
                          "    state m;\n"
                          "    m = interp(g, m, 0.5);\n"
                          "    return lr * m;\n"
                          "}\n";

static Rule *load(Arena *a, const char *text)
{
    Source *src = arena_alloc(a, sizeof *src);
    source_from_string(src, text);
    Diag d;
    diag_init(&d, src, NULL);
    Rule *r = parse_rule(a, src, &d);
    if (r && !sema_check(r, &d))
        r = NULL;
    return r;
}

/* Fitness 1 / (1 + f(w)) after QSTEPS steps on f(w) = sum (w_i - c_i)^2,
 * c_i = i / 4, w starting at 0. */
static double quad_eval(void *ctx, const char *text)
{
    (void)ctx;
    Arena a;
    arena_init(&a);
    Rule *r = load(&a, text);
    double fit = 0;
    if (r) {
        float w[QN] = {0}, g[QN], st[8][QN] = {{0}}, hp[64];
        float *states[8];
        for (int k = 0; k < 8; k++)
            states[k] = st[k];
        for (int i = 0; i < r->nparams && i < 64; i++)
            hp[i] = (float)r->params[i].value;
        float lr = r->lr_param >= 0 ? hp[r->lr_param] : 1;
        for (int t = 1; t <= QSTEPS && r->nstates <= 8; t++) {
            for (int i = 0; i < QN; i++)
                g[i] = 2 * (w[i] - (float)i / 4);
            interp_step(r, QN, w, g, states, hp, lr, t);
        }
        double f = 0;
        for (int i = 0; i < QN; i++)
            f += ((double)w[i] - i / 4.0) * ((double)w[i] - i / 4.0);
        fit = isfinite(f) && r->nstates <= 8 ? 1 / (1 + f) : 0;
    }
    arena_free(&a);
    return fit;
}

/* Like quad_eval, but about one rule in four (by its bytes) kills its
 * worker. */
static double crashy_eval(void *ctx, const char *text)
{
    unsigned sum = 0;
    for (const char *p = text; *p; p++)
        sum += (unsigned char)*p;
    if (sum % 4 == 0)
        abort();
    return quad_eval(ctx, text);
}

typedef struct Watch {
    double best;
    bool fell;
    int calls;
} Watch;

static void watch(void *ctx, const EvoProgress *p)
{
    Watch *w = ctx;
    if (p->best < w->best)
        w->fell = true;
    w->best = p->best;
    w->calls++;
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

/* Limits of one run: children, wall-clock seconds, seconds a candidate
 * may take (0: none, or the default). */
typedef struct Limits {
    long budget;
    double seconds, eval_timeout;
} Limits;

static int run_limited(const char *dir, int workers, Limits lim,
                       double (*eval)(void *, const char *), EvoResult *res,
                       Watch *wt)
{
    Arena a;
    arena_init(&a);
    Rule *warm = load(&a, sgd);
    assert_non_null(warm);
    const char *origin = "sgd";
    EvoConfig c = evo_default_config();
    c.population = 8;
    c.tournament = 3;
    c.budget = lim.budget;
    c.seconds = lim.seconds;
    if (lim.eval_timeout > 0)
        c.eval_timeout = lim.eval_timeout;
    c.seed = 5;
    c.workers = workers;
    c.topk = 4;
    c.checkpoint = 16;
    c.out_dir = dir;
    c.proxy = "quadratic, 40 steps";
    c.progress = watch;
    c.progress_ctx = wt;
    EvoTask t = {.name = "quadratic", .eval = eval};
    char err[256];
    int rc = evo_run(&c, &t, &warm, &origin, 1, res, err, sizeof err);
    arena_free(&a);
    return rc;
}

static int run(const char *dir, int workers, long budget,
               double (*eval)(void *, const char *), EvoResult *res, Watch *wt)
{
    return run_limited(dir, workers, (Limits){.budget = budget}, eval, res, wt);
}

/* A rule that takes far longer to score than any limit in these tests. */
static double slow_eval(void *ctx, const char *text)
{
    (void)ctx;
    (void)text;
    sleep(60);
    return 0.5;
}

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int count_lines(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

static void assert_parses(const char *dir, const char *name)
{
    char *text = slurp(dir, name);
    assert_non_null(text);
    Arena a;
    arena_init(&a);
    assert_non_null(load(&a, text));
    arena_free(&a);
    free(text);
}

static void test_evolve_small_run(void **state)
{
    (void)state;
    char dir[] = "/tmp/symopt-test-evolve-XXXXXX";
    assert_non_null(mkdtemp(dir));
    EvoResult res;
    Watch wt = {0};
    assert_int_equal(run(dir, 2, 40, quad_eval, &res, &wt), 0);

    /* The warm rule scores 1 / (1 + f) with f > 0: below 1. */
    assert_false(wt.fell);
    assert_true(wt.calls > 0);
    assert_true(res.best_fitness_unsimplified > 0);
    assert_true(res.best_fitness_unsimplified < 1);
    assert_string_equal(res.stopped_by, "budget");

    /* 8 initial members and exactly 40 children; simplify trials extra. */
    char *log = slurp(dir, "log.jsonl");
    assert_non_null(log);
    int all = count_lines(log, "\"id\": ");
    int simp = count_lines(log, "\"mutation\": \"simplify\"");
    assert_int_equal(all - simp, 8 + 40);
    assert_int_equal(res.evaluated, all);
    assert_true(res.trained + res.cache_hits == res.evaluated);
    free(log);

    assert_parses(dir, "best.opt");
    assert_parses(dir, "rank-01.opt");
    char *sum = slurp(dir, "summary.json");
    assert_non_null(sum);
    assert_non_null(strstr(sum, "\"status\": \"done\""));
    free(sum);

    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* One worker or two: the same rules and fitnesses in the same order. */
static void test_evolve_workers_do_not_matter(void **state)
{
    (void)state;
    char d1[] = "/tmp/symopt-test-evolve-XXXXXX";
    char d2[] = "/tmp/symopt-test-evolve-XXXXXX";
    assert_non_null(mkdtemp(d1));
    assert_non_null(mkdtemp(d2));
    EvoResult r1, r2;
    Watch w1 = {0}, w2 = {0};
    assert_int_equal(run(d1, 1, 24, quad_eval, &r1, &w1), 0);
    assert_int_equal(run(d2, 2, 24, quad_eval, &r2, &w2), 0);
    char *b1 = slurp(d1, "best.opt"), *b2 = slurp(d2, "best.opt");
    assert_string_equal(b1, b2);
    assert_true(r1.best_fitness == r2.best_fitness);
    assert_int_equal(r1.cache_hits, r2.cache_hits);
    free(b1);
    free(b2);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", d1, d2);
    assert_int_equal(system(cmd), 0);
}

/* Workers that abort on some rules: the search goes on, those children
 * score 0, and the crashes are counted. */
static void test_evolve_survives_crashes(void **state)
{
    (void)state;
    char dir[] = "/tmp/symopt-test-evolve-XXXXXX";
    assert_non_null(mkdtemp(dir));
    EvoResult res;
    Watch wt = {0};
    assert_int_equal(run(dir, 2, 120, crashy_eval, &res, &wt), 0);
    assert_true(res.crashes > 0);
    char *log = slurp(dir, "log.jsonl");
    assert_non_null(strstr(log, "\"fitness\": 0.000000, \"cache_hit\": "
                                "false, \"cache\": null, \"crashed\": true"));
    free(log);
    assert_parses(dir, "best.opt");
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* The time limit stops the search in the middle of a batch that would
 * take a minute: the unfinished candidates are dropped, not scored. */
static void test_evolve_time_limit_cuts_batch(void **state)
{
    (void)state;
    char dir[] = "/tmp/symopt-test-evolve-XXXXXX";
    assert_non_null(mkdtemp(dir));
    EvoResult res;
    Watch wt = {0};
    double t0 = seconds_now();
    assert_int_equal(
        run_limited(dir, 2, (Limits){.seconds = 1}, slow_eval, &res, &wt), 0);
    assert_true(seconds_now() - t0 < 10);
    assert_string_equal(res.stopped_by, "time");
    assert_int_equal(res.evaluated, 0);
    assert_int_equal(res.best_id, -1);
    char *log = slurp(dir, "log.jsonl");
    assert_non_null(log);
    assert_int_equal(count_lines(log, "\"id\": "), 0);
    free(log);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* A candidate slower than the evaluation timeout scores 0 and the search
 * goes on to its budget. */
static void test_evolve_eval_timeout_scores_zero(void **state)
{
    (void)state;
    char dir[] = "/tmp/symopt-test-evolve-XXXXXX";
    assert_non_null(mkdtemp(dir));
    EvoResult res;
    Watch wt = {0};
    Limits lim = {.budget = 2, .eval_timeout = 0.3};
    assert_int_equal(run_limited(dir, 2, lim, slow_eval, &res, &wt), 0);
    assert_string_equal(res.stopped_by, "budget");
    /* Every candidate trained timed out (the rest were cache hits). */
    assert_true(res.crashes > 0);
    assert_int_equal(res.crashes, res.trained);
    char *log = slurp(dir, "log.jsonl");
    assert_non_null(strstr(log, "\"fitness\": 0.000000"));
    assert_null(strstr(log, "\"fitness\": 0.5"));
    free(log);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_evolve_small_run),
        cmocka_unit_test(test_evolve_workers_do_not_matter),
        cmocka_unit_test(test_evolve_survives_crashes),
        cmocka_unit_test(test_evolve_time_limit_cuts_batch),
        cmocka_unit_test(test_evolve_eval_timeout_scores_zero),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
