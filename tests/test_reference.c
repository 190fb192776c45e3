/* examples/adamw.opt and examples/lion.opt, run by the interpreter and by
 * the JIT, against numbers an independent implementation wrote: PyTorch's
 * AdamW and Lion from its formula (tests/reference/make_reference.py). */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "compiler/arena.h"
#include "compiler/ast.h"
#include "compiler/diag.h"
#include "compiler/interp.h"
#include "compiler/jit.h"
#include "compiler/sema.h"
#include "grammar/parse.h"

/* The inputs, as the script defines them: small integers times powers of
 * two, so that both sides compute them exactly. */
enum { REF_N = 37, REF_STEPS = 5, REF_MAX_RUNS = 4, REF_MAX_STATES = 2 };

static float ref_w0(int i)
{
    return ldexpf((float)((5 * i) % 13 - 6), (i % 9) - 5);
}

static float ref_grad(int t, int i)
{
    return ldexpf((float)((3 * i + 7 * t) % 11 - 5), ((i + 2 * t) % 13) - 10);
}

/* One run of a reference file: the learning rate and, for steps 0..5, the
 * weights, the gradient fed at that step and the states after it. */
typedef struct RefRun {
    char label[32];
    float lr;
    float w[REF_STEPS + 1][REF_N];
    float g[REF_STEPS + 1][REF_N];
    float s[REF_STEPS + 1][REF_MAX_STATES][REF_N];
    int seen; /* lines read, to check the file is complete */
} RefRun;

typedef struct RefFile {
    int nruns;
    RefRun runs[REF_MAX_RUNS];
} RefFile;

static RefRun *ref_find(RefFile *f, const char *label)
{
    for (int k = 0; k < f->nruns; k++)
        if (strcmp(f->runs[k].label, label) == 0)
            return &f->runs[k];
    return NULL;
}

/* Stores the 37 values of a data line `label step name v...`. */
static void ref_data_line(RefFile *f, char *line, const char *const *states,
                          int nstates)
{
    char *save = NULL;
    char *label = strtok_r(line, " \n", &save);
    char *step = strtok_r(NULL, " \n", &save);
    char *name = strtok_r(NULL, " \n", &save);
    assert_non_null(name);
    RefRun *run = ref_find(f, label);
    assert_non_null(run);

    int t = atoi(step);
    assert_true(t >= 0 && t <= REF_STEPS);
    float *dst = NULL;
    if (strcmp(name, "w") == 0)
        dst = run->w[t];
    else if (strcmp(name, "g") == 0)
        dst = run->g[t];
    for (int k = 0; k < nstates && !dst; k++)
        if (strcmp(name, states[k]) == 0)
            dst = run->s[t][k];
    assert_non_null(dst);

    for (int i = 0; i < REF_N; i++) {
        char *tok = strtok_r(NULL, " \n", &save);
        assert_non_null(tok);
        dst[i] = strtof(tok, NULL);
    }
    assert_null(strtok_r(NULL, " \n", &save));
    run->seen++;
}

/* Reads tests/reference/<name>.txt (format: see make_reference.py). */
static void ref_load(RefFile *f, const char *name, const char *const *states,
                     int nstates)
{
    char path[512], line[8192];
    snprintf(path, sizeof path, "%s/tests/reference/%s.txt", SYMOPT_SOURCE_DIR,
             name);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);

    memset(f, 0, sizeof *f);
    while (fgets(line, sizeof line, fp)) {
        assert_non_null(strchr(line, '\n'));
        if (line[0] == '#' || line[0] == '\n')
            continue;
        if (strncmp(line, "run ", 4) == 0) {
            assert_true(f->nruns < REF_MAX_RUNS);
            RefRun *run = &f->runs[f->nruns++];
            assert_int_equal(
                sscanf(line, "run %31s lr %g", run->label, &run->lr), 2);
            continue;
        }
        ref_data_line(f, line, states, nstates);
    }
    fclose(fp);

    /* Step 0: w; steps 1..5: g, w and every state. */
    assert_true(f->nruns >= 1);
    for (int k = 0; k < f->nruns; k++)
        assert_int_equal(f->runs[k].seen, 1 + REF_STEPS * (2 + nstates));
}

/* A parsed and checked example rule, with the arena it lives in. */
typedef struct Loaded {
    Arena arena;
    Source src;
    Rule *rule;
} Loaded;

static void load_rule(Loaded *l, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/examples/%s.opt", SYMOPT_SOURCE_DIR, name);
    assert_int_equal(source_read_file(&l->src, path), 0);
    arena_init(&l->arena);

    Diag d;
    diag_init(&d, &l->src, stderr);
    l->rule = parse_rule(&l->arena, &l->src, &d);
    assert_non_null(l->rule);
    assert_true(sema_check(l->rule, &d));
    assert_int_equal(d.nerrors, 0);
}

static void unload_rule(Loaded *l)
{
    arena_free(&l->arena);
    source_free(&l->src);
}

/* The rule's hyperparameters with `lr` set to the run's rate: the script
 * uses the float32 values of the same defaults. */
static void make_hp(const Rule *r, float lr, float *hp)
{
    assert_true(r->lr_param >= 0);
    for (int k = 0; k < r->nparams; k++)
        hp[k] = (float)r->params[k].value;
    hp[r->lr_param] = lr;
}

/* How a rule is run: the JIT's function, or the interpreter on a rule. */
typedef struct Runner {
    RuleStepFn fn;    /* used when not NULL */
    const Rule *rule; /* else interp_step on this */
} Runner;

static void runner_step(const Runner *x, float *w, const float *g,
                        float *const *states, const float *hp, float lr,
                        int64_t step)
{
    if (x->fn)
        x->fn(REF_N, w, g, states, hp, lr, step);
    else
        interp_step(x->rule, REF_N, w, g, states, hp, lr, step);
}

/* Our five steps of one run; ws[t] and ss[t] hold the results of step t.
 */
static void simulate(const Runner *x, const Rule *r, const RefRun *run,
                     float ws[][REF_N], float ss[][REF_MAX_STATES][REF_N])
{
    float w[REF_N], g[REF_N], st[REF_MAX_STATES][REF_N];
    float *states[REF_MAX_STATES] = {st[0], st[1]};
    float hp[16];
    assert_true(r->nparams <= 16 && r->nstates <= REF_MAX_STATES);
    make_hp(r, run->lr, hp);
    memset(st, 0, sizeof st);

    for (int i = 0; i < REF_N; i++)
        w[i] = ref_w0(i);
    for (int t = 1; t <= REF_STEPS; t++) {
        for (int i = 0; i < REF_N; i++)
            g[i] = ref_grad(t, i);
        runner_step(x, w, g, states, hp, run->lr, t);
        memcpy(ws[t], w, sizeof w);
        memcpy(ss[t], st, sizeof st);
    }
}

/* Fails, naming the worst element, if any |got - want| > tol. */
static void check_close(const char *what, const char *label, int t,
                        const float *got, const float *want, const double *tol)
{
    int worst = -1;
    double worst_ratio = 1.0;
    for (int i = 0; i < REF_N; i++) {
        double d = fabs((double)got[i] - (double)want[i]);
        if (!(d <= tol[i]) && (worst < 0 || d > worst_ratio * tol[i])) {
            worst = i;
            worst_ratio = tol[i] > 0 ? d / tol[i] : INFINITY;
        }
    }
    if (worst >= 0)
        fail_msg("%s %s step %d [%d]: got %.9g want %.9g (tol %.3g)", what,
                 label, t, worst, got[worst], want[worst], tol[worst]);
}

static const double U = 0x1p-24; /* float's unit roundoff */

/* AdamW against torch.optim.AdamW. Tolerances, per element:
 *
 * m, v: the same products and one sum as torch (which forms
 * beta*m + (1-beta)*g; with the float32 betas, 1 - beta is exact on both
 * sides), but torch's kernel may fuse its multiply-add. Allow 4 roundings
 * a step, each at most U times the terms that entered, which add up over
 * the steps to at most S_t: for m, the same recurrence on |g| (m itself
 * can cancel); for v, v itself (its terms are all >= 0).
 *
 * w: a step's own roundings (torch rounds twice: decay, then update; the
 * rule once) cost at most 4U|w|. The update is bounded by A = lr (wd |w| +
 * S_t / (1 - b1^t) / (sqrt(v / (1 - b2^t)) + eps)); torch forms the bias
 * corrections in double, the rule in float with powf (allowed 2 ulp,
 * 2^-23 absolute near 1), so 1 - b2^t carries a relative error up to
 * 2^-23 / (1 - b2^t), halved by the square root (t = 1 is exact), plus
 * 16U for the dozen float operations of the update. Errors of past steps
 * carry over (the decay factor is below 1), so the bounds add up. */
static void check_adamw(const Runner *x, const Rule *r, const RefRun *run)
{
    static float ws[REF_STEPS + 1][REF_N];
    static float ss[REF_STEPS + 1][REF_MAX_STATES][REF_N];
    simulate(x, r, run, ws, ss);

    const double lr = run->lr, b1 = (float)0.9, b2 = (float)0.999;
    const double eps = (float)1e-8, wd = (float)0.01;
    double sm[REF_N] = {0}, tolw[REF_N] = {0};
    double tolm[REF_N], tolv[REF_N];
    for (int t = 1; t <= REF_STEPS; t++) {
        double bc1 = 1 - pow(b1, t), bc2 = 1 - pow(b2, t);
        double eu = 16 * U + (t >= 2 ? 0x1p-24 / bc2 : 0);
        for (int i = 0; i < REF_N; i++) {
            sm[i] = b1 * sm[i] + (1 - b1) * fabs(run->g[t][i]);
            tolm[i] = 4 * t * U * sm[i];
            tolv[i] = 4 * t * U * run->s[t][1][i];
            double vhat = run->s[t][1][i] / bc2;
            double a = lr * (wd * fabs(run->w[t - 1][i]) +
                             sm[i] / bc1 / (sqrt(vhat) + eps));
            tolw[i] += 4 * U * fabs(run->w[t][i]) + eu * a;
        }
        check_close("adamw m", run->label, t, ss[t][0], run->s[t][0], tolm);
        check_close("adamw v", run->label, t, ss[t][1], run->s[t][1], tolv);
        check_close("adamw w", run->label, t, ws[t], run->w[t], tolw);
    }
}

/* Lion against its formula. Exact: sign is exact (the script checks that
 * no c is near 0), and the rule's float operations are the script's, in
 * the same order: interp(g, m, b) = (1-b)*g + b*m is torch's b*m +
 * (1-b)*g with the two products summed the other way round, which a
 * single IEEE addition does not notice; the update is lr * (sign + wd*w)
 * on both sides. */
static void check_lion(const Runner *x, const Rule *r, const RefRun *run)
{
    static float ws[REF_STEPS + 1][REF_N];
    static float ss[REF_STEPS + 1][REF_MAX_STATES][REF_N];
    simulate(x, r, run, ws, ss);

    double zero[REF_N] = {0};
    for (int t = 1; t <= REF_STEPS; t++) {
        check_close("lion m", run->label, t, ss[t][0], run->s[t][0], zero);
        check_close("lion w", run->label, t, ws[t], run->w[t], zero);
    }
}

static const char *const adamw_states[] = {"m", "v"};
static const char *const lion_states[] = {"m"};

/* The rule's hyperparameters and states are the ones the script used. */
static void check_header(const Rule *r, const char *const *names,
                         const double *values, int np,
                         const char *const *states, int ns)
{
    assert_int_equal(r->nparams, np);
    for (int k = 0; k < np; k++) {
        assert_string_equal(r->params[k].name, names[k]);
        assert_true((float)r->params[k].value == (float)values[k]);
    }
    assert_int_equal(r->nstates, ns);
    for (int k = 0; k < ns; k++)
        assert_string_equal(r->states[k].name, states[k]);
}

/* A rule of examples/ and the reference numbers for it: its header as
 * the script assumed it, and how to check one run. */
typedef struct RefCase {
    const char *name;
    const char *const *params;
    const double *values;
    int nparams;
    const char *const *states;
    int nstates;
    void (*check)(const Runner *x, const Rule *r, const RefRun *run);
} RefCase;

/* Checks every run of the case's reference file, through the JIT or the
 * interpreter. */
static void run_case(const RefCase *c, int use_jit)
{
    static RefFile f;
    Loaded l;
    ref_load(&f, c->name, c->states, c->nstates);
    load_rule(&l, c->name);
    check_header(l.rule, c->params, c->values, c->nparams, c->states,
                 c->nstates);

    char err[512] = "";
    Jit *j = NULL;
    JitRule *jr = NULL;
    Runner x = {NULL, l.rule};
    if (use_jit) {
        j = jit_new(err, sizeof err);
        assert_non_null(j);
        jr = jit_compile(j, l.rule, err, sizeof err);
        if (!jr)
            fail_msg("jit_compile: %s", err);
        x.fn = jit_fn(jr);
    }

    for (int k = 0; k < f.nruns; k++)
        c->check(&x, l.rule, &f.runs[k]);

    if (use_jit) {
        jit_release(j, jr);
        jit_free(j);
    }
    unload_rule(&l);
}

static void run_adamw(int use_jit)
{
    static const char *const names[] = {"lr", "beta1", "beta2", "eps", "wd"};
    static const double values[] = {1e-3, 0.9, 0.999, 1e-8, 0.01};
    RefCase c = {"adamw", names, values, 5, adamw_states, 2, check_adamw};
    run_case(&c, use_jit);
}

static void run_lion(int use_jit)
{
    static const char *const names[] = {"lr", "beta1", "beta2", "wd"};
    static const double values[] = {1e-4, 0.9, 0.99, 0.1};
    RefCase c = {"lion", names, values, 4, lion_states, 1, check_lion};
    run_case(&c, use_jit);
}

/* The C formulas for the inputs give exactly the script's numbers. */
static void test_reference_inputs_match(void **state)
{
    (void)state;
    static RefFile f;
    const char *files[] = {"adamw", "lion"};
    const char *const *states[] = {adamw_states, lion_states};
    for (int k = 0; k < 2; k++) {
        ref_load(&f, files[k], states[k], 2 - k);
        for (int r = 0; r < f.nruns; r++) {
            for (int i = 0; i < REF_N; i++) {
                assert_true(f.runs[r].w[0][i] == ref_w0(i));
                for (int t = 1; t <= REF_STEPS; t++)
                    assert_true(f.runs[r].g[t][i] == ref_grad(t, i));
            }
        }
    }
}

/* The checks can fail: a rule that differs from AdamW by a last-place
 * change of beta2 (its float neighbour) is caught on v. */
static void test_reference_tolerance_detects_change(void **state)
{
    (void)state;
    static RefFile f;
    Loaded l;
    ref_load(&f, "adamw", adamw_states, 2);
    load_rule(&l, "adamw");

    static float ws[REF_STEPS + 1][REF_N];
    static float ss[REF_STEPS + 1][REF_MAX_STATES][REF_N];
    float b2 = nextafterf((float)0.999, 0.0f);
    l.rule->params[2].value = b2;
    Runner x = {NULL, l.rule};
    simulate(&x, l.rule, &f.runs[0], ws, ss);

    int caught = 0;
    for (int i = 0; i < REF_N; i++) {
        double want = f.runs[0].s[REF_STEPS][1][i];
        double d = fabs(ss[REF_STEPS][1][i] - want);
        caught += d > 4 * REF_STEPS * U * want;
    }
    assert_true(caught > 0);
    unload_rule(&l);
}

static void test_reference_adamw_interp(void **state)
{
    (void)state;
    run_adamw(0);
}

static void test_reference_adamw_jit(void **state)
{
    (void)state;
    run_adamw(1);
}

static void test_reference_lion_interp(void **state)
{
    (void)state;
    run_lion(0);
}

static void test_reference_lion_jit(void **state)
{
    (void)state;
    run_lion(1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_inputs_match),
        cmocka_unit_test(test_reference_tolerance_detects_change),
        cmocka_unit_test(test_reference_adamw_interp),
        cmocka_unit_test(test_reference_adamw_jit),
        cmocka_unit_test(test_reference_lion_interp),
        cmocka_unit_test(test_reference_lion_jit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
